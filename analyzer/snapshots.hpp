// Read-only copies of the analyzer's state for the HTTP API and the page (requests,
// fingerprints, connections, counters) and their JSON. Produced by the engine under its lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/finding.hpp"
#include "analyzer/fingerprint_stats.hpp"
#include "analyzer/pool_detector.hpp"
#include "analyzer/request_ledger.hpp"

namespace pgtally::analyzer {

struct RequestSummary {
  struct PerFingerprint {
    Fingerprint fingerprint = 0;
    std::string normalized;
    StatementKind kind = StatementKind::other;
    std::uint64_t calls = 0;
    std::uint64_t rows = 0;
    std::chrono::microseconds time{0};
    std::uint32_t largest_batch = 0;
  };
  // One execution, in the order the request issued them; compact, as finished requests keep it.
  struct Step {
    std::uint32_t seq = 0;
    std::uint32_t offset_us = 0;  // start, from first_start
    std::uint32_t duration_us = 0;
    std::uint16_t fingerprint_index = 0;  // into by_fingerprint
    std::uint8_t connection_index = 0;    // into connections (255: not kept)
    bool error = false;
  };
  static constexpr std::size_t kMaxTimeline = 100;
  struct FindingRef {
    std::string id;
    FindingKind kind = FindingKind::n_plus_one;
  };
  std::string id;
  Attribution attribution = Attribution::tagged;
  UnitBasis basis = UnitBasis::tagged;
  RequestTags tags;
  std::string route;
  TimePoint first_start;
  TimePoint last_end;
  bool finished = false;
  std::uint64_t queries = 0;
  std::chrono::microseconds db_time{0};
  std::chrono::microseconds pool_wait{0};
  std::uint64_t rows = 0;
  std::uint64_t errors = 0;
  std::uint64_t transactions = 0;
  std::uint64_t links = 0;  // untagged: statements that joined by a value link
  std::vector<ConnectionId> connections;
  std::vector<TrueRequest> true_requests;  // with tags ignored (tests): where statements came from
  std::vector<PerFingerprint> by_fingerprint;
  std::vector<FindingRef> findings;
  std::vector<Step> timeline;  // the first kMaxTimeline executions kept in the ledger
  std::uint64_t dropped = 0;   // executions, fingerprints, values or connections not kept
  // Events that may belong to this request were dropped before analysis (the analyzer fell
  // behind): its counts are lower bounds.
  bool events_lost = false;
  [[nodiscard]] bool complete() const { return dropped == 0 && !events_lost; }
};

[[nodiscard]] RequestSummary summarize(const RequestLedger& ledger);

struct AnalyzerCounters {
  std::uint64_t events = 0;
  std::uint64_t queries = 0;
  std::uint64_t requests_started = 0;
  std::uint64_t requests_finished = 0;
  std::uint64_t requests_evicted = 0;     // finished early: too many live requests
  std::uint64_t requests_cut = 0;         // untagged units cut at their size or time bound
  std::uint64_t value_links = 0;          // untagged statements placed by a value link
  std::uint64_t link_offers = 0;          // result values held for linking now
  std::uint64_t link_offers_evicted = 0;  // dropped before their window ended (bound reached)
  std::uint64_t requests_absorbed = 0;    // untagged preambles merged into a tagged request
  std::uint64_t unknown_statements = 0;   // Execute of a statement name never seen with text
  std::uint64_t prepared_dropped = 0;     // statement names over max_prepared_per_connection
  std::uint64_t texts_truncated = 0;
  std::uint64_t ledger_dropped = 0;  // executions/fingerprints/values not kept in ledgers
  std::uint64_t findings_dropped = 0;
  std::uint64_t fingerprint_cache_hits = 0;
  std::uint64_t fingerprint_cache_misses = 0;
  std::uint64_t fingerprint_parse_failures = 0;
  std::uint64_t live_requests = 0;
  std::uint64_t ring_dropped_full = 0;  // filled in by the Analyzer facade
  std::uint64_t ring_dropped_stopped = 0;
  std::uint64_t ring_dropped_producer = 0;
};

// `with_timeline`: the detail view (/api/requests/{id}) adds the executions in order.
[[nodiscard]] nlohmann::json to_json(const RequestSummary& request, const ClockAnchor& clock,
                                     bool with_timeline = false);
[[nodiscard]] nlohmann::json to_json(const FingerprintStat& stat);
[[nodiscard]] nlohmann::json to_json(const ConnectionView& connection, const ClockAnchor& clock);
[[nodiscard]] nlohmann::json to_json(const AnalyzerCounters& counters);

}  // namespace pgtally::analyzer
