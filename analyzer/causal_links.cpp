#include "analyzer/causal_links.hpp"

#include <algorithm>
#include <optional>
#include <tuple>
#include <vector>

#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer {
namespace {

std::uint64_t value_key(GroupId group, ValueHash value) {
  return hash_combine(0x6c696e6b73ULL + group, value);
}

std::uint64_t shape_key(GroupId group, Fingerprint child) {
  return hash_combine(0x7368617065ULL + group, child);
}

std::uint64_t to_ticks(TimePoint t) {
  return static_cast<std::uint64_t>(t.time_since_epoch().count());
}
TimePoint from_ticks(std::uint64_t ticks) {
  return TimePoint(TimePoint::duration(static_cast<TimePoint::rep>(ticks)));
}

}  // namespace

CausalLinks::CausalLinks(LinkLimits limits) : limits_(limits) {}

const CausalLinks::Value* CausalLinks::at(std::uint64_t seq) const {
  if (seq < first_seq_ || seq - first_seq_ >= offers_.size()) return nullptr;
  return &offers_[seq - first_seq_];
}

Offer CausalLinks::offer_at(std::uint64_t seq) const {
  const Value& v = offers_[seq - first_seq_];
  const Statement& e = statement_of(v);
  return Offer{v.key,       e.unit, e.fingerprint, e.lookup, e.arrived,    e.connection,
               e.execution, v.row,  v.column,      v.rows,   e.from_write, v.element};
}

void CausalLinks::pop_offer() {
  offers_.pop_front();
  ++first_seq_;
  const std::uint64_t oldest_needed =
      offers_.empty() ? first_statement_ + statements_.size() : offers_.front().statement;
  while (first_statement_ < oldest_needed && !statements_.empty()) {
    statements_.pop_front();
    ++first_statement_;
  }
}

void CausalLinks::push(std::uint64_t key, const SampledValue& v) {
  const std::uint64_t statement = first_statement_ + statements_.size() - 1;
  auto [latest, added] = latest_.try_emplace(key, first_seq_ + offers_.size());
  std::uint64_t previous = 0;
  if (!added && *latest >= first_seq_) {
    previous = *latest;
    // One offer per value and column of a statement, counting its rows (20 posts, 3 authors):
    // this statement's earlier offers of the value stand first in its chain.
    std::uint64_t seq = previous;
    for (int steps = 0; steps < 8 && seq >= first_seq_; ++steps) {
      Value& same = offers_[seq - first_seq_];
      if (same.statement != statement) break;
      if (same.column == v.column) {
        if (same.rows < 0xffff) ++same.rows;
        return;
      }
      seq = same.previous;
    }
  }
  if (offers_.size() >= limits_.max_offers) {
    pop_offer();
    ++evicted_;
  }
  const std::uint64_t seq = first_seq_ + offers_.size();
  *latest = seq;
  offers_.push_back(Value{key, previous, statement, v.row, v.column, 1, v.element});
  // Values whose offers all expired stay in the index until it holds twice what it did after
  // its last compaction: dropping them then costs a pass per doubling, not a search per pop.
  if (latest_.size() > 2 * latest_compacted_ + 1024) {
    latest_.erase_if([this](std::uint64_t s) { return s < first_seq_; });
    latest_compacted_ = latest_.size();
  }
}

void CausalLinks::offer(GroupId group, UnitId unit, std::uint32_t execution,
                        Fingerprint fingerprint, std::uint64_t lookup, ConnectionId connection,
                        TimePoint arrived, bool from_write, std::span<const SampledValue> values,
                        std::span<const ValueHash> echo) {
  if (limits_.max_offers == 0) return;
  // A column holding one of the statement's own keys in every row echoes the WHERE clause
  // (`WHERE user_id = 1` returns user_id 1 each time); the same value in one row of many is news.
  echo_columns_.clear();
  if (!echo.empty()) {
    for (const SampledValue& v : values) {
      if (v.column >= echo_columns_.size())
        echo_columns_.resize(v.column + 1U, {0, Column::unseen});
      auto& [hash, state] = echo_columns_[v.column];
      if (state == Column::unseen) {
        const bool key = std::find(echo.begin(), echo.end(), v.hash) != echo.end();
        hash = v.hash;
        state = key ? Column::echo : Column::varies;
      } else if (state == Column::echo && hash != v.hash) {
        state = Column::varies;
      }
    }
  }
  keyed_.clear();
  for (const SampledValue& v : values) {
    if (!is_id_like(v.hash)) continue;
    if (v.column < echo_columns_.size() && echo_columns_[v.column].second == Column::echo) continue;
    keyed_.emplace_back(value_key(group, v.hash), &v);
    latest_.prefetch(keyed_.back().first);
  }
  if (keyed_.empty()) return;
  statements_.push_back(
      Statement{unit, fingerprint, lookup, arrived, connection, execution, from_write});
  for (const auto& [key, v] : keyed_)
    push(key, *v);
}

CausalLinks::Shape* CausalLinks::shape(GroupId group, Fingerprint child, bool create) {
  const std::uint64_t key = shape_key(group, child);
  auto it = shapes_.find(key);
  if (it != shapes_.end()) return &it->second;
  if (!create || shapes_.size() >= limits_.max_learned) return nullptr;
  return &shapes_[key];
}

void CausalLinks::add_evidence(Shape& shape, Fingerprint parent, std::uint16_t column) {
  ++shape.total;
  Source* weakest = &shape.sources[0];
  for (Source& s : shape.sources) {
    if (s.count > 0 && s.parent == parent && s.column == column) {
      ++s.count;
      return;
    }
    if (s.count < weakest->count) weakest = &s;
  }
  *weakest = Source{parent, column, 1};  // the least supported source gives way
}

bool CausalLinks::learned(const Shape& shape, Fingerprint parent, std::uint16_t column) {
  for (const Source& s : shape.sources) {
    if (s.count > 0 && s.parent == parent && s.column == column) {
      return s.count >= kLearnedAfter && kLearnedShare * s.count >= shape.total;
    }
  }
  return false;
}

namespace {

bool same_column(const Offer& a, const Offer& b) {
  return a.unit == b.unit && a.execution == b.execution && a.column == b.column;
}

// `earlier` (a candidate of an earlier root) and `now` stand for two steps of one loop over an
// execution's rows: another value in an earlier row; or writes hanging on one new key that a
// write returned (the items of the order just inserted), never on a key any read returns.
bool loop_steps(const Offer& earlier, const Offer& now, const LinkQuery& q) {
  if (!same_column(earlier, now)) return false;
  // Rows in order; within an array value, its elements in order.
  const bool before =
      earlier.row < now.row || (earlier.row == now.row && earlier.element < now.element);
  return earlier.key != now.key ? q.over_rows && before : q.writes && now.from_write;
}

}  // namespace

CausalLinks::Linked CausalLinks::link_with(const LinkQuery& query, CandidateJudge view) {
  last_root_ = nullptr;
  Shape* known = shape(query.group, query.fingerprint, false);
  std::vector<Found>& found = found_;
  found.clear();
  if (query.batch) batch_columns_.clear();
  auto column_of = [](const Offer& o) {
    return hash_combine(hash_combine(o.unit, o.execution), o.column);
  };
  for (const ValueHash key : query.keys) {
    const std::uint64_t* latest = latest_.find(value_key(query.group, key));
    if (latest == nullptr) continue;
    // Reads only: a write loop repeats its parent's key by nature (the items of one order).
    bool root_key = false;
    if (!query.writes) {
      const std::uint64_t* seen =
          roots_.find(hash_combine(shape_key(query.group, query.fingerprint), key));
      root_key = seen != nullptr && query.start - from_ticks(*seen) <= limits_.window;
    }
    std::size_t searched = 0;
    for (std::uint64_t seq = *latest; searched < kPerValue; ++searched) {
      const Value* stored = at(seq);
      if (stored == nullptr) break;
      const std::uint64_t this_seq = seq;
      seq = stored->previous;
      const Offer o = offer_at(this_seq);
      if (o.arrived > query.start || query.start - o.arrived > limits_.window) continue;
      // The same shape looking up what it looked up before is a repeat, not a consequence.
      if (o.fingerprint == query.fingerprint && o.lookup == query.lookup) continue;
      const CandidateView v = view(o);
      if (!v.live || v.owned) continue;
      // Only a loop under way continues: an execution whose last child is long past is no
      // better a parent than any other row holding the key. A read loop goes forward through
      // the rows (writes may hang many on one row). A batch is no step of a loop, whatever
      // shape it shares with one.
      const bool sibling = !query.batch && v.sibling &&
                           query.start - v.last_sibling <= limits_.loop_gap &&
                           (query.writes || v.order != StepOrder::elsewhere);
      const bool after_step = !sibling || v.last_sibling_end <= query.start;
      found.push_back({o, this_seq, sibling, sibling && v.order == StepOrder::next, after_step,
                       sibling ? v.last_sibling_end : o.arrived, root_key, v.current});
      if (query.batch) ++*batch_columns_.try_emplace(column_of(o), 0).first;
    }
  }
  // Earlier roots of this shape whose candidates make a loop with `o`: for reads, the two rows
  // just before its row, looked up in that order (small ids coincide across tables, so other
  // values in any earlier rows prove little under load); for keys in array values, two other
  // values of the column in earlier positions; for writes, also the same row twice.
  auto loop_roots = [&](const Offer& o) {
    if (known == nullptr) return false;
    std::vector<std::uint64_t>& elements = loop_values_;  // other values of an array column
    elements.clear();
    const unsigned row = o.row;
    std::size_t same_row = 0;
    std::size_t index = 0;
    std::optional<std::size_t> row_before;       // the newest root keyed at o.row - 1
    std::optional<std::size_t> two_rows_before;  // the oldest root keyed at o.row - 2
    for (const Pending& p : known->pending) {
      for (const Offer& c : p.candidates) {
        if (!loop_steps(c, o, query)) continue;
        if (c.key == o.key) {
          ++same_row;
        } else if (o.element != 0) {
          if (std::find(elements.begin(), elements.end(), c.key) == elements.end()) {
            elements.push_back(c.key);
          }
        } else {
          if (c.row + 1U == row) row_before = index;
          if (c.row + 2U == row && !two_rows_before) two_rows_before = index;
        }
        break;
      }
      ++index;
    }
    if (same_row >= 2) return true;
    if (o.element != 0) return elements.size() >= 2;
    return row_before && two_rows_before && *two_rows_before < *row_before;
  };
  // The connection's last statement is a root of this shape that this row could have fed: the
  // loop's earlier steps, not yet adopted.
  auto serving_root = [&](const Offer& o) {
    if (known == nullptr || query.connection_unit == 0) return false;
    for (const Pending& p : known->pending) {
      if (p.unit != query.connection_unit || p.connection != query.connection) continue;
      if (p.serving) return same_column(*p.serving, o);
      for (const Offer& c : p.candidates) {
        if (same_column(c, o)) return true;
      }
    }
    return false;
  };
  const auto batch_needs = static_cast<std::uint32_t>(std::min<std::size_t>(3, query.keys.size()));
  // Among candidates with evidence: a loop under way, first one whose last step stood at the
  // row just before this one and has ended (concurrent loops over the same rows differ there),
  // then the one whose last step ended last; for a batch, the execution that returned most of
  // its keys (small ids stand in many results: a few of them prove less than all); a row of the
  // unit this connection is serving, or that fed the loop's steps the connection just sent (not
  // merely a row that came on this connection: a pool that hands each query the next free
  // connection has served other requests there since); the nearest row; the oldest offer.
  using Rank = std::tuple<bool, bool, bool, std::uint64_t, bool, TimePoint, std::uint64_t>;
  std::optional<Rank> best_rank;
  const Offer* best = nullptr;
  bool evidence = false;
  for (const Found& f : found) {
    const Offer& o = f.offer;
    // A learned column starts a loop at its first position only: a lookup of a value that
    // stands further down a list nobody walks yet (the session's user in a comment list) is
    // no first step.
    const bool learned_column = !f.sibling && o.row == 0 && o.element == 0 && known != nullptr &&
                                learned(*known, o.fingerprint, o.column);
    // The session's user looked up at the start of every request links nowhere; a loop under
    // way goes on whatever its keys, and so does one that starts on a learned column.
    if (f.root_key && !f.sibling && !learned_column) continue;
    const std::uint64_t* column_keys = query.batch ? batch_columns_.find(column_of(o)) : nullptr;
    const bool batch = batch_needs >= 2 && column_keys != nullptr && *column_keys >= batch_needs;
    const bool loop = !f.sibling && !learned_column && !batch && loop_roots(o);
    if (!f.sibling && !learned_column && !batch && !loop) continue;
    const Rank rank{f.sibling,
                    f.next_step,
                    f.after_step,
                    batch ? *column_keys : 0,
                    f.current || serving_root(o),
                    f.recency,
                    ~f.seq};
    if (!best_rank || rank > *best_rank) {
      best_rank = rank;
      best = &o;
      evidence = f.sibling || batch || loop;
    }
  }
  Linked out;
  if (best != nullptr) {
    out.parent = *best;
    if (known == nullptr) known = shape(query.group, query.fingerprint, true);
    if (known == nullptr) return out;
    if (evidence) add_evidence(*known, best->fingerprint, best->column);
    // The loop's earlier roots that this execution's column explains may join it.
    const Offer parent = *best;
    for (const Pending& p : known->pending) {
      if (p.unit == 0) continue;
      for (const Offer& c : p.candidates) {
        if (loop_steps(c, parent, query)) {
          out.adopt.push_back({p.unit, c, p.connection});
          break;
        }
      }
    }
    // Each row takes one root: those on the parent's connection (a pool that keeps a request
    // on one connection) or on the child's (a loop's steps where the pool handed them out) before
    // another loop's over the same rows.
    auto near = [&](const Adoption& a) {
      return a.connection == parent.connection || a.connection == query.connection;
    };
    std::stable_sort(out.adopt.begin(), out.adopt.end(),
                     [&](const Adoption& a, const Adoption& b) { return near(a) > near(b); });
    return out;
  }
  if (found.empty()) return out;
  Shape* mine = known != nullptr ? known : shape(query.group, query.fingerprint, true);
  if (mine == nullptr) return out;
  Pending now;
  now.connection = query.connection;
  for (const Found& f : found) {
    if (now.candidates.size() >= kCandidatesPerPending) break;
    now.candidates.push_back(f.offer);
    if (!now.serving && (f.current || serving_root(f.offer))) now.serving = f.offer;
  }
  if (mine->pending.size() >= kPendingPerShape) mine->pending.pop_front();
  mine->pending.push_back(std::move(now));
  last_root_ = &mine->pending.back();
  return out;
}

void CausalLinks::adopted(GroupId group, Fingerprint child, std::span<const UnitId> units) {
  Shape* known = shape(group, child, false);
  if (known == nullptr || units.empty()) return;
  std::erase_if(known->pending, [&](const Pending& p) {
    return std::find(units.begin(), units.end(), p.unit) != units.end();
  });
}

void CausalLinks::root_placed(UnitId unit) {
  if (last_root_ != nullptr) last_root_->unit = unit;
  last_root_ = nullptr;
}

void CausalLinks::root_lookup(GroupId group, Fingerprint fingerprint,
                              std::span<const ValueHash> keys, TimePoint at) {
  for (const ValueHash key : keys) {
    const std::uint64_t k = hash_combine(shape_key(group, fingerprint), key);
    if (std::uint64_t* seen = roots_.find(k)) {
      *seen = to_ticks(at);
    } else if (roots_.size() < limits_.max_roots) {
      roots_.try_emplace(k, to_ticks(at));
    } else {
      forget_expired_roots(at);
      if (roots_.size() < limits_.max_roots) roots_.try_emplace(k, to_ticks(at));
    }
  }
}

void CausalLinks::forget_expired_roots(TimePoint now) {
  roots_.erase_if([&](std::uint64_t at) { return now - from_ticks(at) > limits_.window; });
  roots_compacted_ = roots_.size();
}

void CausalLinks::expire(TimePoint now) {
  while (!offers_.empty() && now - statement_of(offers_.front()).arrived > limits_.window)
    pop_offer();
  if (roots_.size() > 2 * roots_compacted_ + 1024) forget_expired_roots(now);
}

}  // namespace pgtally::analyzer
