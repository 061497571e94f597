#include "analyzer/attribution.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer {
namespace {

// The rows holding one value in one column of one execution, claimed by one child shape.
std::uint64_t row_claim(const Offer& o, Fingerprint child) {
  return hash_combine(
      hash_combine(hash_combine(hash_combine(o.unit, o.execution), o.column), o.key), child);
}

// An execution's column that parents a loop of one child shape.
std::uint64_t execution_claim(const Offer& o, Fingerprint child) {
  return hash_combine(hash_combine(hash_combine(o.unit, o.execution), 0x10000ULL + o.column),
                      child);
}

}  // namespace

// Loops walk their parent's rows in order (and an array value's elements): a value that follows
// the last step's is the next step, one a few rows on may be (a NULL key or a filter skipped the
// rows between). A value standing in several rows (20 posts, 3 authors) is known by its first
// row only, so there any later position may be next.
StepOrder Attributor::step_order(const LoopStep& last, const Offer& o) {
  constexpr unsigned kMaxSkip = 4;  // rows a loop may pass over between two steps
  if (o.row == last.row && o.element == last.element + 1U) return StepOrder::next;
  if (o.row == last.row + 1U && o.element == 0) return StepOrder::next;
  if ((last.repeated && o.row > last.row) || (o.rows > 1 && o.row <= last.row))
    return StepOrder::next;
  const bool later = o.row > last.row || (o.row == last.row && o.element > last.element);
  return later && o.row <= last.row + kMaxSkip ? StepOrder::ahead : StepOrder::elsewhere;
}

void Attributor::on_opened(const ConnectionOpened& opened) {
  const std::string label = group_label(opened.group);
  auto [it, added] = groups_.try_emplace(label, static_cast<GroupId>(groups_.size() + 1));
  connections_[opened.connection].group = it->second;
}

UnitId Attributor::new_unit(GroupId group, UnitBasis basis) {
  const UnitId serial = next_unit_++;
  Unit u;
  u.id = fmt::format("inferred-{}", serial);
  u.group = group;
  u.basis = basis;
  by_id_.emplace(u.id, serial);
  units_.emplace(serial, std::move(u));
  return serial;
}

UnitId Attributor::resolve(UnitId unit) const {
  for (int hops = 0; hops < 64 && unit != 0; ++hops) {
    auto it = merged_.find(unit);
    if (it == merged_.end()) return unit;
    unit = it->second;
  }
  return unit;
}

Attributor::Unit* Attributor::unit(UnitId id) {
  if (id == 0) return nullptr;
  auto it = units_.find(resolve(id));
  return it == units_.end() ? nullptr : &it->second;
}

std::optional<Offer> Attributor::link(const ConnectionState& st, const StatementFacts& s,
                                      AttributionDecision& d) {
  if (!config_.link_values || s.link_keys.empty()) return std::nullopt;
  const bool writes = is_write(s.kind);
  const LinkQuery query{
      st.group, s.fingerprint, s.lookup, s.connection, st.last_unit,
      s.start,  s.link_keys,   s.batch,  writes,       s.kind != StatementKind::insert};
  auto linked = links_.link(query, [&](const Offer& o) -> CandidateView {
    CandidateView v;
    auto it = units_.find(resolve(o.unit));
    if (it == units_.end()) return v;
    v.live = true;
    v.current =
        o.connection == s.connection && st.last_unit != 0 && resolve(st.last_unit) == it->first;
    if (!writes) {
      auto claimed = it->second.owned_rows.find(row_claim(o, s.fingerprint));
      v.owned = claimed != it->second.owned_rows.end() && claimed->second >= o.rows;
    }
    if (auto sibling = it->second.parents.find(execution_claim(o, s.fingerprint));
        sibling != it->second.parents.end()) {
      const LoopStep& last = sibling->second;
      v.sibling = true;
      v.last_sibling = last.start;
      v.last_sibling_end = last.end;
      v.order = step_order(last, o);
    }
    return v;
  });
  if (!linked.parent) {
    links_.root_lookup(st.group, s.fingerprint, s.link_keys, s.start);
    return std::nullopt;
  }
  const Offer& found = *linked.parent;
  const UnitId into = resolve(found.unit);
  Unit& parent = units_.at(into);
  // A point read owns its parent row (one lookup per row per shape) and makes that column a
  // loop under way; a write loop may hang many writes on one row (the items of one order); a
  // batch reads many rows and is no loop step.
  if (!s.batch) {
    if (!writes) ++parent.owned_rows[row_claim(found, s.fingerprint)];
    parent.parents[execution_claim(found, s.fingerprint)] =
        LoopStep{s.start, s.end, found.row, found.element, found.rows > 1};
  }
  if (parent.basis == UnitBasis::statement) parent.basis = UnitBasis::causal;
  std::vector<UnitId> adopted;
  for (const CausalLinks::Adoption& a : linked.adopt) {
    auto it = units_.find(resolve(a.unit));
    if (it == units_.end() || it->first == into) continue;
    if (!writes) {
      auto& claimed = parent.owned_rows[row_claim(a.row, s.fingerprint)];
      if (claimed >= a.row.rows) continue;  // that row has its child already
      ++claimed;
    }
    adopted.push_back(a.unit);
    d.adopted.push_back(it->second.id);
    merge(a.unit, into, d);
  }
  links_.adopted(st.group, s.fingerprint, adopted);
  return found;
}

void Attributor::merge(UnitId from, UnitId into, AttributionDecision& d) {
  from = resolve(from);
  into = resolve(into);
  if (from == into) return;
  auto it = units_.find(from);
  if (it == units_.end()) return;
  Unit& target = units_.at(into);
  Unit& source = it->second;
  for (const auto& [claim, count] : source.owned_rows)
    target.owned_rows[claim] += count;
  for (const auto& [claim, step] : source.parents) {
    auto [slot, added] = target.parents.try_emplace(claim, step);
    if (!added && step.start > slot->second.start) slot->second = step;
  }
  if (target.basis == UnitBasis::statement) target.basis = UnitBasis::causal;
  target.only_control = target.only_control && source.only_control;
  d.absorb.push_back(source.id);
  target.aliases.insert(target.aliases.end(), source.aliases.begin(), source.aliases.end());
  target.aliases.push_back(from);
  by_id_.erase(source.id);
  units_.erase(it);
  merged_[from] = into;
}

void Attributor::place_untagged(ConnectionState& st, const StatementFacts& s,
                                AttributionDecision& d) {
  const bool within_gap = st.has_last && s.start - st.last_end < config_.idle_gap;
  const bool control = is_control(s.kind);
  Unit* last = unit(st.last_unit);
  UnitId placed = 0;
  d.attribution = Attribution::inferred;

  if (s.resumed && !st.in_tx && unit(st.suspended_unit) != nullptr) {
    // The next rows of a cursor outside a transaction: the same statement, read on.
    placed = resolve(st.suspended_unit);
  } else if (st.in_tx && unit(st.tx_unit) != nullptr) {
    placed = resolve(st.tx_unit);
    Unit& tx = units_.at(placed);
    // A transaction that starts from a value an earlier unit returned belongs to that unit
    // (an ORM's save() of a row it loaded): its first statement that links decides.
    if (tx.basis == UnitBasis::transaction && !control) {
      auto parent = link(st, s, d);
      if (!parent) links_.root_placed(placed);
      if (parent) {
        d.parent = ParentLink{parent->fingerprint, parent->execution, parent->connection,
                              parent->row, parent->column};
      }
      if (parent && resolve(parent->unit) != placed) {
        const UnitId into = resolve(parent->unit);
        merge(placed, into, d);
        placed = into;
        st.tx_unit = into;
      }
    }
  } else if (s.kind == StatementKind::begin || st.in_tx) {
    // A SET just before BEGIN stays with the transaction.
    if (last != nullptr && within_gap && last->only_control) {
      placed = resolve(st.last_unit);
      last->basis = UnitBasis::transaction;
    } else {
      placed = new_unit(st.group, UnitBasis::transaction);
    }
    st.tx_unit = placed;
  } else if (control) {
    if (last != nullptr && within_gap) {
      placed = resolve(st.last_unit);
    } else {
      placed = new_unit(st.group, UnitBasis::statement);
    }
  } else if (auto parent = link(st, s, d)) {
    placed = resolve(parent->unit);
    Unit& u = units_.at(placed);
    if (u.basis == UnitBasis::statement) u.basis = UnitBasis::causal;
    d.parent = ParentLink{parent->fingerprint, parent->execution, parent->connection, parent->row,
                          parent->column};
    // A SET preamble on this connection joins the unit its statement joined (looked up again:
    // the link may have merged units).
    if (const Unit* preamble = unit(st.last_unit); preamble != nullptr && within_gap &&
                                                   preamble->only_control &&
                                                   resolve(st.last_unit) != placed) {
      merge(st.last_unit, placed, d);
    }
  } else if (last != nullptr && within_gap && last->only_control) {
    placed = resolve(st.last_unit);
  } else if (!config_.link_values && last != nullptr && within_gap &&
             last->basis != UnitBasis::transaction) {
    // Without sampled values nothing links: a burst between idle gaps is the best guess.
    placed = resolve(st.last_unit);
    last->basis = UnitBasis::burst;
  } else {
    placed = new_unit(st.group, UnitBasis::statement);
    links_.root_placed(placed);
  }

  Unit& u = units_.at(placed);
  if (!control) u.only_control = false;
  d.request_id = u.id;
  st.last_unit = placed;
  if (s.suspended) {
    st.suspended_unit = placed;
  } else if (s.resumed) {
    st.suspended_unit = 0;
  }
  if (s.kind == StatementKind::begin) st.in_tx = true;
  if (s.kind == StatementKind::commit || s.kind == StatementKind::rollback) {
    st.in_tx = false;
    st.tx_unit = 0;
  }
}

AttributionDecision Attributor::attribute(const StatementFacts& s) {
  ConnectionState& st = connections_[s.connection];
  const bool within_gap = st.has_last && s.start - st.last_end < config_.idle_gap;
  AttributionDecision d;
  const bool tagged = !s.request_id.empty() && !config_.ignore_tags;

  if (tagged) {
    d.request_id = std::string(s.request_id);
    // The ORM's untagged BEGIN / SET just before its first tagged statement.
    if (Unit* last = unit(st.last_unit);
        last != nullptr && last->only_control && (st.in_tx || within_gap)) {
      d.absorb.push_back(last->id);
      drop(resolve(st.last_unit));
    }
    if (st.tagged != s.request_id) st.tagged = std::string(s.request_id);
    st.last_unit = 0;
    st.tx_unit = 0;
    if (s.kind == StatementKind::begin) st.in_tx = true;
    if (s.kind == StatementKind::commit || s.kind == StatementKind::rollback) st.in_tx = false;
  } else if (!st.tagged.empty() && (st.in_tx || within_gap)) {
    d.request_id = st.tagged;
    if (s.kind == StatementKind::commit || s.kind == StatementKind::rollback) st.in_tx = false;
  } else {
    st.tagged.clear();
    place_untagged(st, s, d);
  }
  st.last_end = st.has_last ? std::max(st.last_end, s.end) : s.end;
  st.has_last = true;
  return d;
}

void Attributor::offer(const AttributionDecision& d, const StatementFacts& s,
                       std::uint32_t execution, std::span<const SampledValue> values) {
  if (!config_.link_values || d.attribution != Attribution::inferred || values.empty()) return;
  auto id = by_id_.find(d.request_id);
  if (id == by_id_.end()) return;
  auto st = connections_.find(s.connection);
  const GroupId group = st == connections_.end() ? 0 : st->second.group;
  links_.offer(group, id->second, execution, s.fingerprint, s.lookup, s.connection, s.end,
               is_write(s.kind), values, s.link_keys);
}

void Attributor::on_transaction_state(ConnectionId connection, TxState state) {
  ConnectionState& st = connections_[connection];
  st.in_tx = state != TxState::idle;
  if (!st.in_tx) st.tx_unit = 0;
}

void Attributor::on_closed(ConnectionId connection) {
  connections_.erase(connection);
}

void Attributor::request_ended(const std::string& request_id) {
  auto id = by_id_.find(request_id);
  if (id == by_id_.end()) return;
  drop(id->second);
}

void Attributor::drop(UnitId serial) {
  auto it = units_.find(serial);
  if (it == units_.end()) return;
  for (const UnitId alias : it->second.aliases)
    merged_.erase(alias);
  by_id_.erase(it->second.id);
  units_.erase(it);
}

bool Attributor::in_transaction(ConnectionId connection) const {
  auto it = connections_.find(connection);
  return it != connections_.end() && it->second.in_tx;
}

bool Attributor::holds_transaction(ConnectionId connection, const std::string& request_id) const {
  auto it = connections_.find(connection);
  if (it == connections_.end() || !it->second.in_tx) return false;
  const ConnectionState& st = it->second;
  if (st.tx_unit == 0) return st.tagged == request_id;
  auto unit = by_id_.find(request_id);
  return unit != by_id_.end() && resolve(st.tx_unit) == unit->second;
}

UnitBasis Attributor::basis(const std::string& request_id) const {
  auto id = by_id_.find(request_id);
  if (id == by_id_.end()) return UnitBasis::tagged;
  return units_.at(id->second).basis;
}

}  // namespace pgtally::analyzer
