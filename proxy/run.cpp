#include "proxy/run.hpp"

#include <csignal>

#include <spdlog/spdlog.h>

#include "proxy/logging.hpp"

namespace pgtally {

void serve_until_signalled(Proxy& proxy) {
  asio::io_context signals_context(1);
  asio::signal_set signals(signals_context, SIGINT, SIGTERM, SIGHUP);
  bool stop = false;
  while (!stop) {
    int received = 0;
    signals.async_wait([&received](const boost::system::error_code& ec, int number) {
      if (!ec) received = number;
    });
    signals_context.restart();
    signals_context.run();
    if (received == SIGHUP) {
      const Config& current = proxy.config();
      Config next = current;
      if (!current.config_file.empty()) {
        auto loaded = load_config_file(current.config_file);
        if (auto* error = std::get_if<ConfigError>(&loaded)) {
          spdlog::error("event=reload_failed error=\"{}\" note=\"keeping the running config\"",
                        error->message);
          continue;
        }
        next = std::get<Config>(std::move(loaded));
      }
      try {
        setup_logging(next.log_file, next.log_level);
        if (next.analysis) setup_findings_log(next.findings_log);
      } catch (const std::exception& e) {
        spdlog::error("event=log_reopen_failed error=\"{}\"", e.what());
      }
      proxy.reload(std::move(next));
      continue;
    }
    spdlog::info("event=signal number={}", received);
    stop = true;
  }
  proxy.shutdown(proxy.config().shutdown_timeout);
}

}  // namespace pgtally
