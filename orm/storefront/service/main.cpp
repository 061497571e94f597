// pgtally-storefront: the storefront sample service. Point --database at pgtally to watch it
// find the N+1 pages, the idle transaction and the nested connection; see the README.
#include <signal.h>

#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "orm/errors.hpp"
#include "orm/storefront/service/service.hpp"

namespace {

using pgtally::storefront::ServiceOptions;

constexpr int kUsage = 2;
constexpr int kFailure = 1;

}  // namespace

int main(int argc, char** argv) {
  ServiceOptions options;
  std::string listen = "127.0.0.1:8080";
  std::string database;
  unsigned idle_ms = 2500;
  unsigned acquire_ms = 5000;
  bool no_tags = false;
  CLI::App app{
      "The storefront sample service: JSON pages over the reference ORM, some loaded right and "
      "some falling into N+1, idle-in-transaction and nested-connection traps.",
      "pgtally-storefront"};
  app.add_option("--listen", listen, "HOST:PORT to serve HTTP on")->capture_default_str();
  app.add_option("--database", database,
                 "PostgreSQL URL or conninfo (default: DATABASE_URL, else libpq's PG* variables)");
  app.add_option("--pool-max", options.pool_max, "connections in the ORM pool")
      ->check(CLI::Range(1U, 1000U))
      ->capture_default_str();
  app.add_option("--acquire-timeout-ms", acquire_ms, "how long a request waits for a connection")
      ->check(CLI::Range(1U, 600'000U))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "requests handled at once")
      ->check(CLI::Range(1U, 1024U))
      ->capture_default_str();
  app.add_flag("--no-tags", no_tags,
               "send no sqlcommenter tags (pgtally then infers requests from the traffic)");
  app.add_flag("--migrate", options.migrate,
               "apply the storefront migrations at start, then seed empty tables");
  app.add_option("--idle-in-tx-ms", idle_ms,
                 "how long /orders/{id}/slow-checkout idles inside its transaction")
      ->check(CLI::Range(0U, 600'000U))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsage;
  }
  const auto address = pgtally::storefront::parse_address(listen);
  if (!address) {
    std::fprintf(stderr, "pgtally-storefront: --listen '%s' is not HOST:PORT\n", listen.c_str());
    return kUsage;
  }
  options.listen = *address;
  if (!database.empty()) options.database = database;
  options.tags = !no_tags;
  options.idle_in_transaction = std::chrono::milliseconds(idle_ms);
  options.acquire_timeout = std::chrono::milliseconds(acquire_ms);

  // Signals are taken by sigwait below, not by whichever thread they land on.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  try {
    pgtally::storefront::Service service(options);
    service.start();
    const auto bound = service.bound();
    std::fprintf(stderr,
                 "pgtally-storefront: serving http://%s:%u (database %s, pool %u, tags %s)\n",
                 bound.host.c_str(), static_cast<unsigned>(bound.port),
                 service.database().config().redacted().c_str(), options.pool_max,
                 options.tags ? "on" : "off");
    int received = 0;
    sigwait(&stop_signals, &received);
    std::fprintf(stderr, "pgtally-storefront: stopping\n");
    service.stop();
  } catch (const pgtally::orm::Error& e) {
    std::fprintf(stderr, "pgtally-storefront: %s [%s]\n", e.what(), e.code().c_str());
    return kFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pgtally-storefront: %s\n", e.what());
    return kFailure;
  }
  return 0;
}
