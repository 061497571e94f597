// One request's ledger: its queries, time, rows and transactions, per fingerprint, with the
// per-execution lookup keys the N+1 detector needs. Bounded; what does not fit is counted.
// The engine fills ledgers as queries are attributed and hands finished ones to the detectors.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/fingerprint.hpp"
#include "analyzer/lookup_keys.hpp"
#include "analyzer/sqlcommenter.hpp"

namespace pgtally::analyzer {

struct LedgerLimits {
  std::size_t max_fingerprints = 256;  // per request
  std::size_t max_executions_per_fingerprint = 1000;
  std::size_t max_executions = 4000;      // per request, all fingerprints together
  std::size_t max_tracked_values = 4096;  // tagged: result values kept to name parents
  std::size_t max_true_requests = 32;     // ground truth kept when tags are ignored (tests)
  std::size_t max_connections = 64;
};

struct Execution {
  TimePoint start;
  TimePoint end;
  std::uint64_t key_hash = 0;
  std::uint64_t values_hash = 0;
  std::uint32_t key_count = 0;    // see LookupKeys::count; INSERT: VALUES rows
  std::uint32_t seq = 0;          // order in the request
  std::uint32_t write_epoch = 0;  // writes the request made before this execution
  Fingerprint parent = 0;         // an earlier, different query returned one of the keys
  std::uint32_t parent_seq = 0;   // untagged: that query's execution (seq) the key came from
  bool key_from_self = false;     // an earlier execution of this query returned the key
  bool error = false;
  ConnectionId connection = 0;
};

struct FingerprintUse {
  Fingerprint fingerprint = 0;
  std::shared_ptr<const FingerprintInfo> info;  // normalized text, key column
  StatementKind kind = StatementKind::other;
  std::uint64_t calls = 0;
  std::uint64_t rows = 0;
  std::uint64_t errors = 0;
  std::chrono::microseconds time{0};
  std::uint32_t largest_batch = 0;  // longest IN / ANY list seen
  std::vector<Execution> executions;
  std::uint64_t dropped_executions = 0;
};

// One attributed statement, as the engine hands it to a ledger.
struct QueryRecord {
  Fingerprint fingerprint = 0;
  std::shared_ptr<const FingerprintInfo> info;
  StatementKind kind = StatementKind::other;
  ConnectionId connection = 0;
  TimePoint start;
  TimePoint end;
  std::uint64_t rows = 0;
  bool error = false;
  LookupKeys keys;
  std::uint32_t values_rows = 0;
  // Untagged statements linked by value: the parent attribution chose (tagged requests find
  // theirs in the ledger's own results).
  bool linked = false;
  Fingerprint parent = 0;
  std::uint32_t parent_seq = 0;
  std::string true_request;  // with tags ignored: the request_id tag, for scoring
  std::string true_route;
};

// Where the statements of an untagged unit really came from, when tags are read but ignored.
struct TrueRequest {
  std::string id;
  std::string route;
  std::uint32_t statements = 0;
};

struct RequestLedger {
  std::string id;
  Attribution attribution = Attribution::tagged;
  UnitBasis basis = UnitBasis::tagged;
  RequestTags tags;                    // display tags; request_id mirrors `id` for tagged requests
  ConnectionId origin_connection = 0;  // the connection of its first statement
  TimePoint first_start;
  TimePoint last_end;
  TimePoint last_activity;
  std::uint64_t queries = 0;
  std::chrono::microseconds db_time{0};
  std::chrono::microseconds pool_wait{0};
  std::uint64_t rows = 0;
  std::uint64_t errors = 0;
  std::uint64_t transactions = 0;
  std::uint32_t write_epoch = 0;
  std::vector<ConnectionId> connections;
  std::vector<FingerprintUse> by_fingerprint;  // first-seen order
  std::uint64_t dropped_fingerprints = 0;
  std::uint64_t untracked_values = 0;  // tagged: results past max_tracked_values name no parent
  std::uint64_t dropped_connections = 0;
  std::uint64_t links = 0;  // statements placed by a value link
  std::vector<TrueRequest> true_requests;
  std::uint64_t dropped_true_requests = 0;
  std::size_t stored_executions = 0;
  bool finished = false;
  bool events_lost = false;  // see RequestSummary::events_lost

  struct Origin {
    Fingerprint fingerprint = 0;
    std::uint32_t seq = 0;
  };
  std::unordered_map<ValueHash, Origin> value_origins;

  RequestLedger() = default;
  RequestLedger(std::string request_id, Attribution how, LedgerLimits limits);

  void add(const QueryRecord& record, std::span<const SampledValue> sampled_values);
  // Takes over another request's statements (an untagged BEGIN/SET preamble).
  void absorb(const RequestLedger& other);
  // Statements of `child` that stood as roots turn out to be children of `parent` (a loop
  // recognised at its third statement).
  // Returns how many executions it linked.
  std::uint64_t adopt(Fingerprint child, Fingerprint parent);
  // Fills display tags not set yet.
  void merge_tags(const RequestTags& tags);
  [[nodiscard]] const FingerprintUse* use(Fingerprint fp) const;
  [[nodiscard]] std::string route() const;  // route, else controller#action

  LedgerLimits limits;
};

}  // namespace pgtally::analyzer
