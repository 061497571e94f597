// pgtally: the proxy, and its subcommands.
#include <cstdio>
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "proxy/analysis.hpp"
#include "proxy/cli.hpp"
#include "proxy/demo.hpp"
#include "proxy/expect.hpp"
#include "proxy/fd_limit.hpp"
#include "proxy/http_service.hpp"
#include "proxy/logging.hpp"
#include "proxy/proxy.hpp"
#include "proxy/run.hpp"

namespace {

// Exit codes: 0 done, 1 runtime failure, 2 usage or configuration error.
constexpr int kFailure = 1;
constexpr int kUsage = 2;

int run_proxy(const pgtally::Config& config) {
  const auto limit = pgtally::raise_open_files_limit();
  if (auto error = pgtally::check_client_capacity(config.max_client_conn, limit)) {
    std::cerr << "pgtally: " << *error << "\n";
    return kUsage;
  }
  if (const auto token = pgtally::load_http_token(config);
      const auto* error = std::get_if<pgtally::ConfigError>(&token)) {
    std::cerr << "pgtally: " << error->message << "\n";
    return kUsage;
  }
  std::unique_ptr<pgtally::Analysis> analysis;
  if (config.analysis) analysis = std::make_unique<pgtally::Analysis>(config);
  pgtally::Proxy proxy(config, analysis ? analysis->observers() : nullptr);
  proxy.start();
  const auto http = pgtally::start_http(config, proxy, analysis ? &analysis->analyzer() : nullptr);
  pgtally::serve_until_signalled(proxy);
  if (http) http->stop();
  if (analysis) analysis->stop();  // final findings reach the log
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto command = pgtally::parse_command_line(std::vector<std::string>(argv, argv + argc));
  if (const auto* exit = std::get_if<pgtally::Exit>(&command)) {
    std::fputs(exit->text.c_str(), exit->exit_code == 0 ? stdout : stderr);
    return exit->exit_code;
  }
  try {
    if (const auto* run = std::get_if<pgtally::RunProxy>(&command)) {
      pgtally::setup_logging(run->config.log_file, run->config.log_level);
      return run_proxy(run->config);
    }
    if (const auto* expect = std::get_if<pgtally::RunExpect>(&command)) {
      return pgtally::run_expect(*expect, std::cout);
    }
    const auto& demo = std::get<pgtally::RunDemo>(command);
    // The demo's report is the output; pgtally's routine log lines would bury it.
    const bool to_terminal = demo.config.log_file.empty() && demo.config.log_level == "info";
    pgtally::setup_logging(demo.config.log_file, to_terminal ? "warn" : demo.config.log_level);
    return pgtally::run_demo(demo);
  } catch (const std::exception& e) {
    std::cerr << "pgtally: " << e.what() << "\n";
    return kFailure;
  }
}
