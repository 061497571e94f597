#include "analyzer/metrics_catalog.hpp"

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

using L = std::string_view;
constexpr std::array<L, 0> kNone{};
constexpr std::array<L, 1> kVersion{"version"};
constexpr std::array<L, 1> kOrigin{"origin"};
constexpr std::array<L, 1> kDirection{"direction"};
constexpr std::array<L, 1> kReason{"reason"};
constexpr std::array<L, 1> kResult{"result"};
constexpr std::array<L, 1> kStatement{"statement"};
constexpr std::array<L, 1> kSqlstate{"sqlstate"};
constexpr std::array<L, 1> kFingerprint{"fingerprint"};
constexpr std::array<L, 3> kFingerprintInfo{"fingerprint", "statement", "query"};
constexpr std::array<L, 2> kRouteAttribution{"route", "attribution"};
constexpr std::array<L, 1> kRoute{"route"};
constexpr std::array<L, 2> kKindRoute{"kind", "route"};
constexpr std::array<L, 2> kKindGroup{"kind", "group"};
constexpr std::array<L, 1> kGroup{"group"};
constexpr std::array<L, 1> kRefusedBy{"refused_by"};
constexpr std::array<double, 0> kNoBuckets{};

constexpr L kOne = "1";
constexpr L kRoutes = "first 50 routes + `other`";
constexpr L kGroups = "first 20 client groups + `other`";
constexpr L kFingerprints = "first 100 fingerprints + `other`";

using T = MetricType;
using M = Metric;

// In the order of enum Metric, so family() is an index.
constexpr std::array kFamilies = {
    MetricFamily{M::build_info, "pgtally_build_info", T::gauge,
                 "Always 1; the version label names the running build.", kVersion, kNoBuckets,
                 kOne},
    MetricFamily{M::start_time_seconds, "pgtally_start_time_seconds", T::gauge,
                 "When this pgtally process started, in Unix seconds.", kNone, kNoBuckets, kOne},
    MetricFamily{M::client_connections, "pgtally_client_connections", T::gauge,
                 "Client sessions open now.", kNone, kNoBuckets, kOne},
    MetricFamily{M::client_connections_max, "pgtally_client_connections_max", T::gauge,
                 "The configured client limit (max_client_conn).", kNone, kNoBuckets, kOne},
    MetricFamily{M::client_connections_accepted, "pgtally_client_connections_accepted_total",
                 T::counter, "Client connections accepted.", kNone, kNoBuckets, kOne},
    MetricFamily{M::client_connections_refused, "pgtally_client_connections_refused_total",
                 T::counter, "Clients refused with 53300 because max_client_conn was reached.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::protocol_errors, "pgtally_protocol_errors_total", T::counter,
                 "Sessions closed for a malformed or oversized message.", kNone, kNoBuckets, kOne},
    MetricFamily{M::upstream_connect_failures, "pgtally_upstream_connect_failures_total",
                 T::counter, "Sessions refused with 08006 because the server could not be reached.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::startup_timeouts, "pgtally_startup_timeouts_total", T::counter,
                 "Clients closed because their startup did not finish within startup_timeout.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::cancel_requests, "pgtally_cancel_requests_total", T::counter,
                 "Cancel requests sent to the server: from a client, or for a client that "
                 "disconnected mid-query.",
                 kOrigin, kNoBuckets, "client, disconnect"},
    MetricFamily{M::relayed_bytes, "pgtally_relayed_bytes_total", T::counter,
                 "Bytes relayed after startup, by direction.", kDirection, kNoBuckets,
                 "client_to_server, server_to_client"},
    MetricFamily{M::analysis_enabled, "pgtally_analysis_enabled", T::gauge,
                 "1 when queries are analysed, 0 when pgtally runs with --no-analysis.", kNone,
                 kNoBuckets, kOne},
    MetricFamily{M::analyzer_events, "pgtally_analyzer_events_total", T::counter,
                 "Events the analyzer processed.", kNone, kNoBuckets, kOne},
    MetricFamily{M::analyzer_events_dropped, "pgtally_analyzer_events_dropped_total", T::counter,
                 "Events dropped before analysis: the analyzer fell behind (ring_full), was not "
                 "running (stopped), or the relay gave up on them (producer).",
                 kReason, kNoBuckets, "ring_full, stopped, producer"},
    MetricFamily{M::analyzer_ledger_dropped, "pgtally_analyzer_ledger_dropped_total", T::counter,
                 "Executions, fingerprints or values not kept because a request ledger was "
                 "full.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::analyzer_queued_events, "pgtally_analyzer_queued_events", T::gauge,
                 "Events waiting in the relay threads' rings.", kNone, kNoBuckets, kOne},
    MetricFamily{M::analyzer_lag_seconds, "pgtally_analyzer_lag_seconds", T::gauge,
                 "Age of the newest event the analyzer processed, when it processed it.", kNone,
                 kNoBuckets, kOne},
    MetricFamily{M::analyzer_live_requests, "pgtally_analyzer_live_requests", T::gauge,
                 "Requests the analyzer is following now.", kNone, kNoBuckets, kOne},
    MetricFamily{M::analyzer_units_cut, "pgtally_analyzer_units_cut_total", T::counter,
                 "Untagged units ended at their bound (1,000 statements or 10 s) while still "
                 "growing; what follows starts a new unit.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::analyzer_value_links, "pgtally_analyzer_value_links_total", T::counter,
                 "Untagged statements placed in a unit because they look up a value an earlier "
                 "statement of it returned.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::analyzer_link_offers, "pgtally_analyzer_link_offers", T::gauge,
                 "Result values held now for linking untagged statements (bounded).", kNone,
                 kNoBuckets, kOne},
    MetricFamily{M::fingerprint_cache_lookups, "pgtally_fingerprint_cache_lookups_total",
                 T::counter, "Fingerprint cache lookups, by result.", kResult, kNoBuckets,
                 "hit, miss"},
    MetricFamily{M::fingerprint_parse_failures, "pgtally_fingerprint_parse_failures_total",
                 T::counter,
                 "Statements the PostgreSQL parser rejected; their text is redacted by the "
                 "scanner.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::queries, "pgtally_queries_total", T::counter,
                 "Statements completed, by statement kind.", kStatement, kNoBuckets,
                 "10 statement kinds"},
    MetricFamily{M::query_duration_seconds, "pgtally_query_duration_seconds", T::histogram,
                 "Statement latency seen from the proxy, by statement kind.", kStatement,
                 kDurationBuckets, "10 statement kinds"},
    MetricFamily{M::query_errors, "pgtally_query_errors_total", T::counter,
                 "Statements that ended in an error, by SQLSTATE.", kSqlstate, kNoBuckets,
                 "top-K SQLSTATEs (30) + `other`"},
    MetricFamily{M::fingerprint_calls, "pgtally_fingerprint_calls_total", T::counter,
                 "Executions per statement shape (fingerprint).", kFingerprint, kNoBuckets,
                 kFingerprints},
    MetricFamily{M::fingerprint_duration_seconds, "pgtally_fingerprint_duration_seconds_total",
                 T::counter, "Total execution time per statement shape.", kFingerprint, kNoBuckets,
                 kFingerprints},
    MetricFamily{M::fingerprint_rows, "pgtally_fingerprint_rows_total", T::counter,
                 "Rows returned or affected per statement shape.", kFingerprint, kNoBuckets,
                 kFingerprints},
    MetricFamily{M::fingerprint_info, "pgtally_fingerprint_info", T::gauge,
                 "Always 1; links a fingerprint to its statement kind and normalized text "
                 "(literal-free, first 160 characters).",
                 kFingerprintInfo, kNoBuckets, kFingerprints},
    MetricFamily{M::requests, "pgtally_requests_total", T::counter,
                 "Application requests finished, by route and by how they were identified "
                 "(tagged or inferred).",
                 kRouteAttribution, kNoBuckets, "(first 50 routes + `other`) x 2 attributions"},
    MetricFamily{M::requests_incomplete, "pgtally_requests_incomplete_total", T::counter,
                 "Requests some of whose events were dropped; their counts are lower bounds.",
                 kNone, kNoBuckets, kOne},
    MetricFamily{M::request_queries, "pgtally_request_queries", T::histogram,
                 "Statements per application request, by route.", kRoute, kQueryCountBuckets,
                 kRoutes},
    MetricFamily{M::request_db_duration_seconds, "pgtally_request_db_duration_seconds",
                 T::histogram, "Database time per application request, by route.", kRoute,
                 kDurationBuckets, kRoutes},
    MetricFamily{M::findings, "pgtally_findings_total", T::counter,
                 "Query-pattern findings (n_plus_one, repeated_query, repeated_point_lookups, "
                 "bulk_write_loop), by kind and route.",
                 kKindRoute, kNoBuckets, "4 kinds x routes"},
    MetricFamily{M::pool_findings, "pgtally_pool_findings_total", T::counter,
                 "Pool findings (pool_saturation, idle_in_transaction, connection_churn, "
                 "nested_connection, server_refusal), by kind and client group.",
                 kKindGroup, kNoBuckets, "5 kinds x client groups"},
    MetricFamily{M::pool_connections, "pgtally_pool_connections", T::gauge,
                 "Server connections open now, by client group "
                 "(user@database/application_name@address).",
                 kGroup, kNoBuckets, kGroups},
    MetricFamily{M::pool_connections_busy, "pgtally_pool_connections_busy", T::gauge,
                 "Server connections running a statement or inside a transaction, by client "
                 "group.",
                 kGroup, kNoBuckets, kGroups},
    MetricFamily{M::pool_connections_idle_in_transaction,
                 "pgtally_pool_connections_idle_in_transaction", T::gauge,
                 "Server connections inside a transaction with nothing running, by client "
                 "group.",
                 kGroup, kNoBuckets, kGroups},
    MetricFamily{M::pool_connections_opened, "pgtally_pool_connections_opened_total", T::counter,
                 "Server connections opened, by client group (churn).", kGroup, kNoBuckets,
                 kGroups},
    MetricFamily{M::pool_saturated_seconds, "pgtally_pool_saturated_seconds_total", T::counter,
                 "Time during which every connection of a client group (at least two) was busy.",
                 kGroup, kNoBuckets, kGroups},
    MetricFamily{M::server_max_connections, "pgtally_server_max_connections", T::gauge,
                 "The server's max_connections as configured for pgtally (0: unknown).", kNone,
                 kNoBuckets, kOne},
    MetricFamily{M::server_refusals, "pgtally_server_refusals_total", T::counter,
                 "Connections refused with 53300 (too many connections), by who refused.",
                 kRefusedBy, kNoBuckets, "server, pgtally"},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kFamilies.size(); ++i) {
    if (static_cast<std::size_t>(kFamilies[i].id) != i) return false;
  }
  return true;
}
static_assert(in_enum_order(), "kFamilies must list the metrics in the order of enum Metric");
static_assert(kFamilies.size() == static_cast<std::size_t>(Metric::server_refusals) + 1);

}  // namespace

const char* to_string(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

std::span<const MetricFamily> metric_families() {
  return kFamilies;
}

const MetricFamily& family(Metric id) {
  return kFamilies.at(static_cast<std::size_t>(id));
}

const MetricFamily* find_family(std::string_view name) {
  for (const MetricFamily& f : kFamilies) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string metrics_reference_markdown() {
  std::string out =
      "# pgtally metrics\n\n"
      "Generated from `analyzer/metrics_catalog.cpp` by `pgtally metrics-reference`; a test "
      "fails when\nthis file and the catalog differ. Every family is exported from start. Label "
      "values over a\ntop-K bound are summed under `other` and kept until restart.\n\n"
      "| name | type | labels | label values | help |\n|---|---|---|---|---|\n";
  for (const MetricFamily& f : kFamilies) {
    std::string labels;
    for (const std::string_view l : f.labels) {
      if (!labels.empty()) labels += ", ";
      labels += fmt::format("`{}`", l);
    }
    if (!f.buckets.empty()) {
      labels += labels.empty() ? "`le`" : ", `le`";
    }
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", f.name, to_string(f.type),
                       labels.empty() ? "-" : labels, f.cardinality, f.help);
  }
  return out;
}

}  // namespace pgtally::analyzer
