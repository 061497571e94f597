// Which request issued a statement (DESIGN.md "Request attribution"). Tagged requests by their
// sqlcommenter id across any number of connections; untagged statements inheriting their
// connection's tagged request within a transaction or idle gap; every other statement placed in
// an untagged unit by cause: its connection's open transaction, else the unit of the earlier
// statement (any connection of its client group) whose result row holds a value it looks up,
// else a unit of its own. The engine asks, keeps the ledgers, and tells it which units ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analyzer/causal_links.hpp"
#include "analyzer/event.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/literal_scanner.hpp"

namespace pgtally::analyzer {

struct AttributionConfig {
  std::chrono::milliseconds idle_gap{100};  // an untagged unit with nothing new this long ends
  LinkLimits links;                         // window 2 s, bounded offers
  bool link_values = true;                  // off with value sampling: transactions only
  // Test only: sqlcommenter ids are read (and kept as `true_request`) but not used, so the
  // untagged rules can be scored against the truth on the same run.
  bool ignore_tags = false;
};

// One statement as attribution reads it.
struct StatementFacts {
  ConnectionId connection = 0;
  std::string_view request_id;  // from its tags; empty when untagged
  StatementKind kind = StatementKind::other;
  Fingerprint fingerprint = 0;
  std::uint64_t lookup = 0;  // hash of its lookup keys (LookupKeys::key_hash)
  TimePoint start;
  TimePoint end;
  std::span<const ValueHash> link_keys;  // values it looks up or writes: link candidates
  bool batch = false;                    // its keys are an IN list or ANY array of several
  bool suspended = false;                // a portal read in parts: rows are left (QueryEvent)
  bool resumed = false;                  // ... and this reads on
};

struct ParentLink {
  Fingerprint fingerprint = 0;
  std::uint32_t execution = 0;  // the parent's sequence number in its unit when it ran
  ConnectionId connection = 0;
  std::uint16_t row = 0;
  std::uint16_t column = 0;
};

struct AttributionDecision {
  std::string request_id;
  Attribution attribution = Attribution::tagged;
  std::optional<ParentLink> parent;
  // Requests to fold into `request_id` before this statement is added, in order (an untagged
  // preamble before a tagged statement; a transaction unit whose statement linked elsewhere).
  std::vector<std::string> absorb;
  // Of those, the earlier statements of this loop that stood as roots: they have `parent` too.
  std::vector<std::string> adopted;
};

class Attributor {
 public:
  explicit Attributor(AttributionConfig config) : config_(config), links_(config.links) {}

  void on_opened(const ConnectionOpened& opened);
  AttributionDecision attribute(const StatementFacts& statement);
  // After the statement is in its ledger as `execution`: its result values become link targets.
  void offer(const AttributionDecision& decision, const StatementFacts& statement,
             std::uint32_t execution, std::span<const SampledValue> values);

  // ReadyForQuery's transaction state.
  void on_transaction_state(ConnectionId connection, TxState state);
  void on_closed(ConnectionId connection);
  // The engine ended `request_id`: it takes no more statements.
  void request_ended(const std::string& request_id);
  void expire(TimePoint now) { links_.expire(now); }

  [[nodiscard]] bool in_transaction(ConnectionId connection) const;
  // `request_id` holds a connection inside a transaction.
  [[nodiscard]] bool holds_transaction(ConnectionId connection,
                                       const std::string& request_id) const;
  [[nodiscard]] UnitBasis basis(const std::string& request_id) const;
  [[nodiscard]] std::size_t offers() const { return links_.size(); }
  [[nodiscard]] std::uint64_t offers_evicted() const { return links_.evicted(); }

 private:
  struct ConnectionState {
    GroupId group = 0;
    std::string tagged;  // the connection's current tagged request (may be over)
    bool has_last = false;
    TimePoint last_end;
    bool in_tx = false;
    UnitId tx_unit = 0;         // the untagged unit of the open transaction
    UnitId last_unit = 0;       // the untagged unit of the last untagged statement
    UnitId suspended_unit = 0;  // the untagged unit of a portal read in parts, while rows are left
  };
  // The last child of a loop over one execution's column: when it started, and the row its
  // key stood in (the first of several when the value repeats down the column).
  struct LoopStep {
    TimePoint start;
    TimePoint end;
    std::uint16_t row = 0;
    std::uint16_t element = 0;
    bool repeated = false;  // its value stands in several rows: the row is a lower bound
  };
  struct Unit {
    std::string id;
    GroupId group = 0;
    UnitBasis basis = UnitBasis::statement;
    bool only_control = true;
    // (unit, execution, column, value, child shape) linked so far: each parent row is owned
    // once per child shape; and (unit, execution, child shape) that have children, for siblings.
    std::unordered_map<std::uint64_t, std::uint32_t> owned_rows;
    std::unordered_map<std::uint64_t, LoopStep> parents;  // ... and its last child
    std::vector<UnitId> aliases;                          // units merged into this one
  };

  [[nodiscard]] static StepOrder step_order(const LoopStep& last, const Offer& o);
  UnitId new_unit(GroupId group, UnitBasis basis);
  [[nodiscard]] UnitId resolve(UnitId unit) const;  // through merges
  void drop(UnitId serial);
  Unit* unit(UnitId id);
  std::optional<Offer> link(const ConnectionState& st, const StatementFacts& s,
                            AttributionDecision& d);
  void merge(UnitId from, UnitId into, AttributionDecision& d);
  void place_untagged(ConnectionState& st, const StatementFacts& s, AttributionDecision& d);

  AttributionConfig config_;
  CausalLinks links_;
  std::unordered_map<ConnectionId, ConnectionState> connections_;
  std::unordered_map<UnitId, Unit> units_;
  std::unordered_map<UnitId, UnitId> merged_;  // a merged unit's serial to the one it joined
  std::unordered_map<std::string, UnitId> by_id_;
  std::unordered_map<std::string, GroupId> groups_;
  UnitId next_unit_ = 1;
};

}  // namespace pgtally::analyzer
