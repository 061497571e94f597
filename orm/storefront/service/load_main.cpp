// pgtally-storefront-load: sends a weighted mix of storefront requests from N connections for a
// duration or a number of requests; prints progress once a second and a summary. Exit 0 when
// every request got its expected answer, 1 when any failed, 2 on bad arguments.
#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "orm/storefront/service/load_driver.hpp"

int main(int argc, char** argv) {
  using namespace pgtally::storefront;
  LoadOptions options;
  std::string target = "127.0.0.1:8080";
  std::string mix =
      "products=5,products-eager=5,categories=2,categories-eager=2,users-orders=3,search=2,"
      "slow-checkout=1,report=1";
  double duration_s = 0;
  std::uint64_t requests = 0;
  CLI::App app{"Load for the storefront sample service: a weighted mix of its routes.",
               "pgtally-storefront-load"};
  app.add_option("--target", target, "the service's HOST:PORT")->capture_default_str();
  app.add_option("--mix", mix,
                 fmt::format("route=weight,... over: {}", fmt::join(route_names(), ", ")))
      ->capture_default_str();
  app.add_option("--concurrency", options.concurrency, "connections sending at once")
      ->check(CLI::Range(1U, 1024U))
      ->capture_default_str();
  auto* d =
      app.add_option("--duration", duration_s, "seconds to run")->check(CLI::Range(0.1, 86'400.0));
  auto* r =
      app.add_option("--requests", requests, "requests to send in all")
          ->check(CLI::Range(static_cast<std::uint64_t>(1), static_cast<std::uint64_t>(1) << 40));
  d->excludes(r);
  app.add_option("--id-range", options.id_range, "user and order ids used: 1..N")
      ->check(CLI::Range(1U, 1'000'000U))
      ->capture_default_str();
  app.add_option("--request-id-prefix", options.request_id_prefix,
                 "X-Request-Id is PREFIX-ROUTE-N (default: load- and a random run id)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const auto address = parse_address(target);
  if (!address) {
    std::fprintf(stderr, "pgtally-storefront-load: --target '%s' is not HOST:PORT\n",
                 target.c_str());
    return 2;
  }
  options.target = *address;
  try {
    options.mix = parse_mix(mix);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "pgtally-storefront-load: %s\n", e.what());
    return 2;
  }
  if (requests > 0) {
    options.requests = requests;
  } else {
    options.duration = std::chrono::milliseconds(
        static_cast<std::int64_t>((duration_s > 0 ? duration_s : 10.0) * 1000.0));
  }
  const LoadSummary summary = run_load(options, [](const LoadProgress& p) {
    std::fprintf(stderr, "%s\n", format_progress(p).c_str());
  });
  std::fputs(format_summary(summary).c_str(), stdout);
  return summary.errors == 0 && summary.requests > 0 ? 0 : 1;
}
