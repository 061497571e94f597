// Which request issued a statement (DESIGN.md "Request attribution"): tagged requests by their
// sqlcommenter id across any number of connections; untagged statements inheriting their
// connection's tagged request within a transaction or idle gap; the rest grouped per connection
// by idle gap and BEGIN...COMMIT into inferred requests. The engine asks, then keeps ledgers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "analyzer/event.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/literal_scanner.hpp"

namespace pgtally::analyzer {

struct AttributionConfig {
  std::chrono::milliseconds idle_gap{100};  // untagged bursts are cut at gaps this long
};

struct AttributionDecision {
  std::string request_id;
  Attribution attribution = Attribution::tagged;
  bool inherited = false;    // untagged, joined its connection's tagged request
  std::string absorb;        // inferred request (control statements only) to merge into this one
  std::string end_inferred;  // inferred request on this connection that is over
  bool end_after = false;    // this statement closes its inferred request (COMMIT / ROLLBACK)
};

class Attributor {
 public:
  explicit Attributor(AttributionConfig config) : config_(config) {}

  // `request_id`: from the statement's tags (empty when untagged).
  AttributionDecision attribute(ConnectionId connection, const std::string& request_id,
                                StatementKind kind, TimePoint start, TimePoint end);

  // ReadyForQuery's transaction state. Returns an inferred request the change ends, or empty.
  std::string on_transaction_state(ConnectionId connection, TxState state, TimePoint at);
  // Returns the connection's open inferred request, or empty.
  std::string on_closed(ConnectionId connection);
  // The engine ended `request_id` (idle timeout, bounds): forget it as the connection's current.
  void request_ended(ConnectionId connection, const std::string& request_id);

  [[nodiscard]] std::size_t connections() const { return connections_.size(); }
  [[nodiscard]] bool in_transaction(ConnectionId connection) const;
  // `request_id` is the connection's current request and the connection is in a transaction.
  [[nodiscard]] bool holds_transaction(ConnectionId connection,
                                       const std::string& request_id) const;

 private:
  struct ConnectionState {
    std::string request_id;  // current request on this connection (may be over)
    bool tagged = false;
    bool has_last = false;
    TimePoint last_end;
    bool in_tx = false;
    bool unit_is_tx = false;    // the inferred request began with BEGIN
    bool only_control = false;  // the inferred request holds only BEGIN/SET/SAVEPOINT so far
  };
  std::string new_inferred_id(ConnectionId connection);

  AttributionConfig config_;
  std::unordered_map<ConnectionId, ConnectionState> connections_;
  std::uint64_t next_inferred_ = 1;
};

}  // namespace pgtally::analyzer
