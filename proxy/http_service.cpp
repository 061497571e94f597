#include "proxy/http_service.hpp"

#include <chrono>
#include <stdexcept>

#include "proxy/metrics.hpp"

namespace pgtally {

std::unique_ptr<HttpServer> start_http(const Config& config, const Proxy& proxy,
                                       analyzer::Analyzer* analyzer) {
  if (config.http == "off") return nullptr;
  auto token = load_http_token(config);
  if (auto* error = std::get_if<ConfigError>(&token)) throw std::runtime_error(error->message);
  const auto started = std::chrono::system_clock::now();
  HttpApiSources sources;
  sources.metrics = [&proxy, analyzer, started] {
    return render_metrics(proxy, analyzer, started);
  };
  sources.ready = [&proxy, analyzer] {
    return proxy.accepting() && (analyzer == nullptr || analyzer->running());
  };
  sources.analyzer = analyzer;
  auto api = std::make_shared<const HttpApi>(std::move(sources), std::get<std::string>(token));
  auto server = std::make_unique<HttpServer>(config.http, std::move(api));
  server->start();
  return server;
}

}  // namespace pgtally
