// Every metric pgtally exports, declared once: name, type, help, labels and buckets. The
// Prometheus exposition, the metrics reference (analyzer/METRICS.md) and the checks on the
// dashboards and rules all read this list, so a metric cannot exist in one and not the others.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pgtally::analyzer {

enum class MetricType : std::uint8_t { counter, gauge, histogram };
[[nodiscard]] const char* to_string(MetricType type);

enum class Metric : std::uint8_t {
  build_info,
  start_time_seconds,
  client_connections,
  client_connections_max,
  client_connections_accepted,
  client_connections_refused,
  protocol_errors,
  upstream_connect_failures,
  startup_timeouts,
  cancel_requests,
  relayed_bytes,
  analysis_enabled,
  analyzer_events,
  analyzer_events_dropped,
  analyzer_ledger_dropped,
  analyzer_queued_events,
  analyzer_lag_seconds,
  analyzer_live_requests,
  analyzer_units_cut,
  analyzer_value_links,
  analyzer_link_offers,
  fingerprint_cache_lookups,
  fingerprint_parse_failures,
  queries,
  query_duration_seconds,
  query_errors,
  fingerprint_calls,
  fingerprint_duration_seconds,
  fingerprint_rows,
  fingerprint_info,
  requests,
  requests_incomplete,
  request_queries,
  request_db_duration_seconds,
  findings,
  pool_findings,
  pool_connections,
  pool_connections_busy,
  pool_connections_idle_in_transaction,
  pool_connections_opened,
  pool_saturated_seconds,
  server_max_connections,
  server_refusals,
};

struct MetricFamily {
  Metric id;
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::span<const std::string_view> labels;
  std::span<const double> buckets;  // histograms: upper bounds, +Inf implied
  // How many label values the family can have, for the series budget in the docs.
  std::string_view cardinality;
};

// Upper bounds of the query and request latency buckets, in seconds.
inline constexpr std::array<double, 14> kDurationBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
// Upper bounds of the queries-per-request buckets.
inline constexpr std::array<double, 12> kQueryCountBuckets = {1,  2,  3,   5,   10,  20,
                                                              30, 50, 100, 200, 500, 1000};

// Label values that take the place of values over a top-K bound, or of an empty value.
inline constexpr std::string_view kOtherLabel = "other";
inline constexpr std::string_view kNoRouteLabel = "none";

[[nodiscard]] std::span<const MetricFamily> metric_families();
[[nodiscard]] const MetricFamily& family(Metric id);
[[nodiscard]] const MetricFamily* find_family(std::string_view name);

// The metrics reference in Markdown, as analyzer/METRICS.md holds it.
[[nodiscard]] std::string metrics_reference_markdown();

}  // namespace pgtally::analyzer
