#include "analyzer/attribution.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pgtally::analyzer {

std::string Attributor::new_inferred_id(ConnectionId connection) {
  return fmt::format("inferred-{}-{}", connection, next_inferred_++);
}

AttributionDecision Attributor::attribute(ConnectionId connection, const std::string& request_id,
                                          StatementKind kind, TimePoint start, TimePoint end) {
  ConnectionState& st = connections_[connection];
  const bool within_gap = st.has_last && start - st.last_end < config_.idle_gap;
  const bool current_inferred = !st.tagged && !st.request_id.empty();
  AttributionDecision d;

  if (!request_id.empty()) {
    d.request_id = request_id;
    d.attribution = Attribution::tagged;
    if (current_inferred) {
      if (st.only_control && (st.in_tx || within_gap)) {
        d.absorb = st.request_id;  // the ORM's untagged BEGIN / SET before its first query
      } else {
        d.end_inferred = st.request_id;
      }
    }
    st.request_id = request_id;
    st.tagged = true;
    st.unit_is_tx = false;
    st.only_control = false;
  } else if (st.tagged && !st.request_id.empty() && (st.in_tx || within_gap)) {
    d.request_id = st.request_id;
    d.attribution = Attribution::tagged;
    d.inherited = true;
  } else {
    bool carry_on = current_inferred && (st.unit_is_tx ? st.in_tx : (!st.in_tx && within_gap));
    // BEGIN ... COMMIT is a unit of its own; a SET just before it stays with it.
    if (kind == StatementKind::begin && carry_on && !st.only_control) carry_on = false;
    if (!carry_on) {
      if (current_inferred) d.end_inferred = st.request_id;
      st.request_id = new_inferred_id(connection);
      st.tagged = false;
      st.unit_is_tx = false;
      st.only_control = true;
    }
    if (kind == StatementKind::begin) st.unit_is_tx = true;
    if (!is_control(kind)) st.only_control = false;
    d.request_id = st.request_id;
    d.attribution = Attribution::inferred;
    if ((kind == StatementKind::commit || kind == StatementKind::rollback) && st.unit_is_tx) {
      d.end_after = true;
    }
  }

  if (kind == StatementKind::begin) st.in_tx = true;
  if (kind == StatementKind::commit || kind == StatementKind::rollback) {
    st.in_tx = false;
    if (d.end_after) st.request_id.clear();
  }
  st.last_end = st.has_last ? std::max(st.last_end, end) : end;
  st.has_last = true;
  return d;
}

std::string Attributor::on_transaction_state(ConnectionId connection, TxState state,
                                             TimePoint /*at*/) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) {
    if (state != TxState::idle) connections_[connection].in_tx = true;
    return {};
  }
  ConnectionState& st = it->second;
  const bool was_in_tx = st.in_tx;
  st.in_tx = state != TxState::idle;
  if (was_in_tx && !st.in_tx && !st.tagged && st.unit_is_tx && !st.request_id.empty()) {
    std::string ended = std::move(st.request_id);
    st.request_id.clear();
    return ended;
  }
  return {};
}

std::string Attributor::on_closed(ConnectionId connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return {};
  std::string open = it->second.tagged ? std::string{} : std::move(it->second.request_id);
  connections_.erase(it);
  return open;
}

void Attributor::request_ended(ConnectionId connection, const std::string& request_id) {
  auto it = connections_.find(connection);
  if (it != connections_.end() && !it->second.tagged && it->second.request_id == request_id) {
    it->second.request_id.clear();
  }
}

bool Attributor::in_transaction(ConnectionId connection) const {
  auto it = connections_.find(connection);
  return it != connections_.end() && it->second.in_tx;
}

bool Attributor::holds_transaction(ConnectionId connection, const std::string& request_id) const {
  auto it = connections_.find(connection);
  return it != connections_.end() && it->second.in_tx && it->second.request_id == request_id;
}

}  // namespace pgtally::analyzer
