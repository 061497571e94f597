// Findings: what the detectors report (N+1 and other query patterns, pool trouble), grouped by
// (kind, fingerprint, route) or (kind, client group) under a stable id, and their JSON form.
// Detectors produce Finding occurrences; the engine merges them into a bounded FindingStore.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/event.hpp"
#include "analyzer/fingerprint.hpp"

namespace pgtally::analyzer {

enum class FindingKind : std::uint8_t {
  n_plus_one,
  repeated_query,
  repeated_point_lookups,
  bulk_write_loop,
  pool_saturation,
  idle_in_transaction,
  connection_churn,
  nested_connection,
  server_refusal,
};
[[nodiscard]] const char* to_string(FindingKind kind);
[[nodiscard]] constexpr bool is_pool_kind(FindingKind k) {
  return k >= FindingKind::pool_saturation;
}

enum class Severity : std::uint8_t { low, medium, high };
[[nodiscard]] const char* to_string(Severity severity);

// How the request behind a finding was identified: by its tags, or by the idle-gap rules.
enum class Attribution : std::uint8_t { tagged, inferred };
[[nodiscard]] const char* to_string(Attribution attribution);

// What holds a request together: its tags; or, untagged, one transaction, values that link its
// statements (possibly with transactions), a single statement that nothing links, or (value
// sampling off) a burst of statements on one connection between idle gaps.
enum class UnitBasis : std::uint8_t { tagged, transaction, causal, statement, burst };
[[nodiscard]] const char* to_string(UnitBasis basis);

// "user@database/application_name@client_address": how pool findings name a client group.
[[nodiscard]] std::string group_label(const ClientGroup& group);

// One occurrence: one request's pattern, or one pool observation.
struct Finding {
  FindingKind kind = FindingKind::n_plus_one;
  Severity severity = Severity::medium;
  Fingerprint fingerprint = 0;  // query kinds
  std::string normalized;       // query kinds: literal-free text
  std::string route;            // route tag, else controller#action; may be empty
  std::string source;           // file:line tag
  std::string group;            // pool kinds: group_label()
  Attribution attribution = Attribution::tagged;
  std::string request_id;  // the request it was seen in (may be empty for pool kinds)
  TimePoint at;
  std::uint64_t count = 0;  // executions (query kinds) or what the kind counts (pool kinds)
  std::chrono::microseconds total_time{0};
  std::uint64_t round_trips_saved = 0;
  std::chrono::microseconds time_saved{0};
  Fingerprint parent = 0;  // N+1: the query whose results held the keys
  std::string parent_normalized;
  nlohmann::json evidence = nlohmann::json::object();  // numbers and literal-free text only
  std::string fix;
};

struct FindingGroup {
  std::string id;  // stable across runs: hex of a hash of the grouping key
  Finding latest;
  Severity severity = Severity::low;  // highest seen
  std::uint64_t occurrences = 0;
  TimePoint first_seen;
  TimePoint last_seen;
  std::vector<std::string> example_requests;  // most recent last, at most 5
};

// The stable id of a finding's group.
[[nodiscard]] std::string finding_id(const Finding& finding);

class FindingStore {
 public:
  explicit FindingStore(std::size_t max_groups = 2000) : max_groups_(max_groups) {}

  const FindingGroup& add(Finding finding);
  [[nodiscard]] std::vector<FindingGroup> snapshot() const;
  [[nodiscard]] const FindingGroup* find(const std::string& id) const;
  [[nodiscard]] std::size_t size() const { return groups_.size(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }  // over max_groups

 private:
  std::size_t max_groups_;
  std::unordered_map<std::string, FindingGroup> groups_;
  std::uint64_t dropped_ = 0;
};

// Maps steady-clock times to wall-clock times for display.
struct ClockAnchor {
  TimePoint steady;
  std::chrono::system_clock::time_point wall;
  [[nodiscard]] std::int64_t unix_ms(TimePoint t) const;
};

[[nodiscard]] nlohmann::json to_json(const Finding& finding, const ClockAnchor& clock);
[[nodiscard]] nlohmann::json to_json(const FindingGroup& group, const ClockAnchor& clock);

}  // namespace pgtally::analyzer
