#include "proxy/demo.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "proxy/analysis.hpp"
#include "proxy/demo_report.hpp"
#include "proxy/demo_sample.hpp"
#include "proxy/http_client.hpp"
#include "proxy/http_service.hpp"
#include "proxy/proxy.hpp"
#include "proxy/run.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_postgres.hpp"

namespace pgtally {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kRequestPrefix = "demo";
constexpr std::string_view kDatabase = "storefront";
// The sample's pool is smaller than the load's concurrency: requests queue for a connection,
// which the ORM reports to pgtally (pool_saturation). The acquire timeout is long, so a queued
// request waits rather than fails.
constexpr unsigned kPoolMax = 3;
constexpr unsigned kServiceThreads = 16;
constexpr unsigned kAcquireTimeoutMs = 60'000;

void step(std::string_view text) {
  std::cout << "pgtally demo: " << text << "\n" << std::flush;
}

std::string indent(const std::string& text, bool (*keep)(std::string_view)) {
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (keep(line)) out += "  " + line + "\n";
  }
  return out;
}

// A migration's "migrated (2 ms)" line says it all; the "migrating" line before it is dropped.
bool not_migrating(std::string_view line) {
  return line.find(": migrating") == std::string_view::npos;
}

// The load driver's once-a-second progress lines ("  3.0s requests=..."); its summary stays.
bool not_progress(std::string_view line) {
  const auto first = line.find_first_not_of(' ');
  if (first == std::string_view::npos) return false;
  const auto s = line.find("s requests=");
  return s == std::string_view::npos || line.find_first_not_of("0123456789.", first) != s;
}

void run_or_throw(const std::vector<std::string>& argv, std::chrono::seconds deadline,
                  std::string_view what) {
  testing::ProcessOptions options;
  options.deadline = deadline;
  const auto result = testing::run_process(argv, options);
  if (result.exit_code != 0) {
    throw std::runtime_error(fmt::format("{} failed{}:\n{}", what,
                                         result.timed_out ? " (timed out)" : "", result.output));
  }
  std::cout << indent(result.output, not_migrating);
}

// Starts the service and polls /healthz until it answers (bounded).
std::unique_ptr<testing::BackgroundProcess> start_service(const SamplePrograms& programs,
                                                          const std::string& listen,
                                                          const std::string& conninfo) {
  auto service = std::make_unique<testing::BackgroundProcess>(std::vector<std::string>{
      programs.service.string(), "--listen", listen, "--database", conninfo, "--migrate",
      "--pool-max", std::to_string(kPoolMax), "--threads", std::to_string(kServiceThreads),
      "--acquire-timeout-ms", std::to_string(kAcquireTimeoutMs)});
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    if (auto exited = service->wait(std::chrono::milliseconds(0))) {
      throw std::runtime_error(fmt::format("the storefront service exited ({}) at start:\n{}",
                                           *exited, service->output()));
    }
    const auto health = http_get(listen, "/healthz", "", std::chrono::seconds(2));
    if (health.reached && health.status == 200) return service;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
  throw std::runtime_error(
      fmt::format("the storefront service did not answer within 60 s:\n{}", service->output()));
}

bool is_sample_request(const analyzer::RequestSummary& r) {
  return r.id.rfind(std::string(kRequestPrefix) + "-", 0) == 0;
}

// Waits (bounded) until pgtally has seen `expected` sample requests end: their findings are
// final then. Returns them.
std::vector<analyzer::RequestSummary> finished_sample_requests(const analyzer::Analyzer& analyzer,
                                                               std::uint64_t expected) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::vector<analyzer::RequestSummary> sample;
  for (;;) {
    sample.clear();
    bool all_finished = true;
    for (auto& r : analyzer.requests(static_cast<std::size_t>(expected) + 1000)) {
      if (!is_sample_request(r)) continue;
      all_finished = all_finished && r.finished;
      sample.push_back(std::move(r));
    }
    if ((all_finished && sample.size() >= expected) || Clock::now() >= deadline) return sample;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
}

void print_where_to_look(const HttpServer* http, std::uint16_t proxy_port,
                         const std::string& service, const SamplePrograms& programs) {
  const auto url =
      fmt::format("postgres://{}@127.0.0.1:{}/{}", testing::kTrustUser, proxy_port, kDatabase);
  std::cout << fmt::format(
      "Where to look:\n"
      "  database through pgtally: psql '{0}'\n"
      "  storefront service:       http://{1}/products   (and /products-eager, /categories, ...)\n"
      "  more load:                {2} --target {1} --duration 60 --concurrency 6\n",
      url, service, programs.load.string());
  if (http != nullptr) {
    const auto web = http->endpoint();
    const auto host = web.address().to_string();
    const auto base = fmt::format("http://{}:{}", host, web.port());
    std::cout << fmt::format(
        "  page:                     {0}/\n"
        "  metrics:                  {0}/metrics   (for Prometheus; dashboards/ has Grafana's)\n"
        "  API:                      {0}/api/findings   {0}/api/requests   "
        "{0}/api/connections\n"
        "  assert in a test:         pgtally expect --http {1}:{2} --request demo-products-eager-1 "
        "--max-queries 2 --no-n-plus-one\n",
        base, host, web.port());
  }
  std::cout << "\n" << std::flush;
}

}  // namespace

int run_demo(const RunDemo& demo) {
  Config config = demo.config;
  const auto programs = find_sample_programs(fs::read_symlink("/proc/self/exe"), demo.sample_dir);
  step("starting a throwaway PostgreSQL 15...");
  testing::PostgresOptions pg_options;
  pg_options.tls = false;
  testing::TempPostgres postgres(pg_options);
  postgres.psql(fmt::format("CREATE DATABASE {} OWNER {}", kDatabase, testing::kTrustUser));
  config.upstream = fmt::format("{}:{}", postgres.host(), postgres.port());
  config.analysis = true;
  // The sample's requests queue for seconds behind the slow checkout for a pooled connection,
  // silent on the wire meanwhile; a request idle that long would otherwise be seen as two.
  if (config.detectors.request_idle_timeout_ms == DetectorSettings{}.request_idle_timeout_ms) {
    config.detectors.request_idle_timeout_ms = 5000;
  }
  // On Ctrl-C the sample's pooled connections sit idle: no need to wait long for them.
  config.shutdown_timeout = std::chrono::seconds(3);
  if (config.server_max_connections == 0) {
    config.server_max_connections = static_cast<std::uint32_t>(pg_options.max_connections);
  }
  if (config.findings_log == "stdout") config.findings_log = "off";  // the report says it all

  Analysis analysis(config);
  std::unique_ptr<Proxy> proxy;
  try {
    proxy = std::make_unique<Proxy>(config, analysis.observers());
    proxy->start();
  } catch (const std::exception& e) {
    step(fmt::format("{}; listening on a free port instead", e.what()));
    config.listen = {"127.0.0.1:0"};
    proxy = std::make_unique<Proxy>(config, analysis.observers());
    proxy->start();
  }
  std::unique_ptr<HttpServer> http;
  try {
    http = start_http(config, *proxy, &analysis.analyzer());
  } catch (const std::exception& e) {
    step(fmt::format("{}; serving HTTP on a free port instead", e.what()));
    config.http = "127.0.0.1:0";
    http = start_http(config, *proxy, &analysis.analyzer());
  }
  const auto proxy_port = proxy->tcp_endpoints().at(0).port();
  const auto conninfo = fmt::format("host=127.0.0.1 port={} user={} dbname={}", proxy_port,
                                    testing::kTrustUser, kDatabase);
  step(fmt::format("pgtally relays 127.0.0.1:{} to PostgreSQL at {}", proxy_port, config.upstream));

  step("applying the storefront's migrations through pgtally");
  run_or_throw({programs.migrate.string(), "--url", conninfo, "migrate"}, std::chrono::minutes(2),
               "storefront-migrate");
  const auto service_address = fmt::format("127.0.0.1:{}", testing::free_tcp_port());
  step(
      fmt::format("starting the storefront service on http://{} (ORM pool of {}, through "
                  "pgtally)",
                  service_address, kPoolMax));
  const auto service = start_service(programs, service_address, conninfo);

  step(
      fmt::format("sending {} requests from {} connections: lazy pages (N+1), their eager twins, "
                  "a slow checkout idle in its transaction, a report on two connections",
                  demo.requests, demo.concurrency));
  testing::ProcessOptions load_options;
  load_options.deadline = std::chrono::minutes(10);
  const auto load = testing::run_process(
      {programs.load.string(), "--target", service_address, "--requests",
       std::to_string(demo.requests), "--concurrency", std::to_string(demo.concurrency),
       "--request-id-prefix", std::string(kRequestPrefix)},
      load_options);
  std::cout << indent(load.output, not_progress) << "\n";

  const auto sample = finished_sample_requests(analysis.analyzer(), demo.requests);
  std::cout << format_demo_report(sample, analysis.analyzer().findings()) << "\n";
  print_where_to_look(http.get(), proxy_port, service_address, programs);

  int exit_code = 0;
  if (load.exit_code != 0) {
    step(fmt::format("the load driver reported failures (exit {}); see its summary above",
                     load.exit_code));
    exit_code = 1;
  }
  if (!demo.once) {
    std::cout << "Serving until Ctrl-C.\n" << std::flush;
    serve_until_signalled(*proxy);
  } else {
    proxy->shutdown(std::chrono::seconds(1));
  }
  service->signal(SIGTERM);
  (void)service->wait(std::chrono::seconds(10));
  if (http) http->stop();
  analysis.stop();
  if (demo.once) step("done (--once).");
  return exit_code;
}

}  // namespace pgtally
