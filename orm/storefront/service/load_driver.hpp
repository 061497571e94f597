// pgtally-storefront-load's engine: N workers, each on its own keep-alive connection, send a
// weighted mix of storefront routes for a duration or a number of requests; a progress line
// once a second and a summary at the end. Every answer must be 2xx and echo the request id it
// was sent; anything else counts as an error (with a few samples kept for the report).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orm/storefront/service/address.hpp"

namespace pgtally::storefront {

struct RouteWeight {
  std::string route;  // a name of route_names()
  unsigned weight = 1;
};

// The names --mix accepts, each mapped to a path by route_target().
const std::vector<std::string>& route_names();
// "products=5,products-eager=5,report=1"; throws std::invalid_argument naming the bad part (an
// unknown route, a weight that is not a positive integer, no weight at all).
std::vector<RouteWeight> parse_mix(std::string_view text);
// The path the n-th request of `route` asks for (ids cycle through 1..id_range).
std::string route_target(const std::string& route, std::uint64_t n, std::uint32_t id_range);

struct LoadOptions {
  Address target{"127.0.0.1", 8080};
  std::vector<RouteWeight> mix;
  unsigned concurrency = 8;
  std::optional<std::chrono::milliseconds> duration{};  // one of duration and requests
  std::optional<std::uint64_t> requests{};
  std::uint32_t id_range = 20;  // users and orders 1..20 exist in the seeded storefront
  // X-Request-Id is PREFIX-ROUTE-N; empty: "load-" and 6 random hex digits, so that two runs
  // never reuse a request id.
  std::string request_id_prefix{};
};

struct LatencySummary {
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct LoadProgress {
  std::chrono::duration<double> elapsed{};
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  double rate = 0;          // requests per second over the last interval
  LatencySummary interval;  // latencies of the last interval
};

struct LoadSummary {
  std::chrono::duration<double> elapsed{};
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  LatencySummary latency;
  std::map<std::string, std::uint64_t> by_route;
  std::map<unsigned, std::uint64_t> by_status;  // 0: no answer
  std::vector<std::string> error_samples;       // the first few, for the report
  std::uint64_t total_queries = 0;              // the services' "queries" fields, summed
};

// Runs the load; progress is called about once a second from a thread of its own.
LoadSummary run_load(const LoadOptions& options,
                     const std::function<void(const LoadProgress&)>& progress = {});

std::string format_progress(const LoadProgress& p);
std::string format_summary(const LoadSummary& s);

}  // namespace pgtally::storefront
