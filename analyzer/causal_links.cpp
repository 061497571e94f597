#include "analyzer/causal_links.hpp"

#include <algorithm>
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

}  // namespace

CausalLinks::CausalLinks(LinkLimits limits) : limits_(limits) {
  by_value_.reserve(std::min<std::size_t>(limits_.max_offers, 1U << 17U));
}

const Offer* CausalLinks::at(std::uint64_t seq) const {
  if (seq < first_seq_ || seq - first_seq_ >= offers_.size()) return nullptr;
  return &offers_[seq - first_seq_];
}

void CausalLinks::pop_oldest() {
  const Offer& oldest = offers_.front();
  auto it = by_value_.find(oldest.key);
  if (it != by_value_.end()) {
    bool any = false;
    for (std::uint64_t& s : it->second.seq) {
      if (s == first_seq_) s = 0;
      any = any || s != 0;
    }
    if (!any) by_value_.erase(it);
  }
  offers_.pop_front();
  ++first_seq_;
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
  const bool multi_row = !values.empty() && values.back().row != values.front().row;
  if (multi_row) same_value_.clear();
  for (const SampledValue& v : values) {
    if (!is_id_like(v.hash)) continue;
    if (v.column < echo_columns_.size() && echo_columns_[v.column].second == Column::echo) continue;
    const std::uint64_t key = value_key(group, v.hash);
    // One offer per value and column, counting its rows.
    if (!multi_row) {
      if (offers_.size() >= limits_.max_offers) {
        pop_oldest();
        ++evicted_;
      }
      const std::uint64_t seq = first_seq_ + offers_.size();
      offers_.push_back(Offer{key, unit, fingerprint, lookup, arrived, connection, execution, v.row,
                              v.column, 1, from_write, v.element});
      Slots& slots = by_value_[key];
      slots.seq[slots.next] = seq;
      slots.next = static_cast<std::uint8_t>((slots.next + 1U) % kPerValue);
      continue;
    }
    const auto [same, added] = same_value_.try_emplace(hash_combine(key, v.column), 0);
    if (!added) {
      if (Offer* o = same->second >= first_seq_ ? &offers_[same->second - first_seq_] : nullptr;
          o != nullptr && o->rows < 0xffff) {
        ++o->rows;
      }
      continue;
    }
    if (offers_.size() >= limits_.max_offers) {
      pop_oldest();
      ++evicted_;
    }
    const std::uint64_t seq = first_seq_ + offers_.size();
    same->second = seq;
    offers_.push_back(Offer{key, unit, fingerprint, lookup, arrived, connection, execution, v.row,
                            v.column, 1, from_write, v.element});
    Slots& slots = by_value_[key];
    slots.seq[slots.next] = seq;  // the oldest of a value's offers gives way
    slots.next = static_cast<std::uint8_t>((slots.next + 1U) % kPerValue);
  }
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
      return s.count >= kLearnedAfter && 4 * s.count >= shape.total;
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
  std::unordered_map<std::uint64_t, std::uint32_t> keys_per_column;  // batches only
  auto column_of = [](const Offer& o) {
    return hash_combine(hash_combine(o.unit, o.execution), o.column);
  };
  for (const ValueHash key : query.keys) {
    auto root = roots_.find(hash_combine(shape_key(query.group, query.fingerprint), key));
    // Reads only: a write loop repeats its parent's key by nature (the items of one order).
    const bool root_key =
        !query.writes && root != roots_.end() && query.start - root->second <= limits_.window;
    auto it = by_value_.find(value_key(query.group, key));
    if (it == by_value_.end()) continue;
    for (const std::uint64_t seq : it->second.seq) {
      const Offer* o = seq == 0 ? nullptr : at(seq);
      if (o == nullptr || o->arrived > query.start || query.start - o->arrived > limits_.window) {
        continue;
      }
      // The same shape looking up what it looked up before is a repeat, not a consequence.
      if (o->fingerprint == query.fingerprint && o->lookup == query.lookup) continue;
      const CandidateView v = view(*o);
      if (!v.live || v.owned) continue;
      // Only a loop under way continues: an execution whose last child is long past is no
      // better a parent than any other row holding the key.
      // A batch is no step of a loop, whatever shape it shares with one.
      const bool sibling =
          !query.batch && v.sibling && query.start - v.last_sibling <= limits_.loop_gap;
      found.push_back({o, seq, sibling, root_key});
      if (query.batch) ++keys_per_column[column_of(*o)];
    }
  }
  // Earlier roots of this shape whose candidates make a loop with `o`: for reads, at least two
  // other values of the same column in earlier rows; for writes, also the same row twice.
  auto loop_roots = [&](const Offer& o) {
    if (known == nullptr) return false;
    std::vector<std::uint64_t> values;
    std::size_t same_row = 0;
    for (const Pending& p : known->pending) {
      for (const Offer& c : p.candidates) {
        if (!loop_steps(c, o, query)) continue;
        if (c.key == o.key) {
          ++same_row;
        } else if (std::find(values.begin(), values.end(), c.key) == values.end()) {
          values.push_back(c.key);
        }
        break;
      }
    }
    return values.size() >= 2 || same_row >= 2;
  };
  const auto batch_needs = static_cast<std::uint32_t>(std::min<std::size_t>(3, query.keys.size()));
  // Among candidates with evidence: a loop under way; a row that just came on this connection
  // (a pool that keeps a request on one connection); the nearest row; the oldest offer.
  using Rank = std::tuple<bool, bool, TimePoint, std::uint64_t>;
  std::optional<Rank> best_rank;
  const Offer* best = nullptr;
  bool evidence = false;
  for (const Found& f : found) {
    const Offer& o = *f.offer;
    // The session's user looked up at the start of every request links nowhere; a loop under
    // way goes on whatever its keys.
    if (f.root_key && !f.sibling) continue;
    const bool learned_column = known != nullptr && learned(*known, o.fingerprint, o.column);
    const bool batch =
        query.batch && batch_needs >= 2 && keys_per_column[column_of(o)] >= batch_needs;
    const bool loop = !f.sibling && !learned_column && !batch && loop_roots(o);
    if (!f.sibling && !learned_column && !batch && !loop) continue;
    const bool here =
        o.connection == query.connection && query.start - o.arrived <= limits_.loop_gap;
    const Rank rank{f.sibling, here, o.arrived, ~f.seq};
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
        if (loop_steps(c, parent, query) ||
            (query.over_rows && same_column(c, parent) && c.key != parent.key)) {
          out.adopt.push_back({p.unit, c, p.connection});
          break;
        }
      }
    }
    std::stable_sort(out.adopt.begin(), out.adopt.end(), [&](const Adoption& a, const Adoption& b) {
      return (a.connection == parent.connection) > (b.connection == parent.connection);
    });
    return out;
  }
  if (found.empty()) return out;
  Shape* mine = known != nullptr ? known : shape(query.group, query.fingerprint, true);
  if (mine == nullptr) return out;
  Pending now;
  now.connection = query.connection;
  for (const Found& f : found) {
    if (now.candidates.size() >= kCandidatesPerPending) break;
    now.candidates.push_back(*f.offer);
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
    if (roots_.size() >= limits_.max_roots && !roots_.contains(k)) {
      if (root_order_.empty()) return;
      const auto& [oldest, when] = root_order_.front();
      if (auto it = roots_.find(oldest); it != roots_.end() && it->second == when) roots_.erase(it);
      root_order_.pop_front();
    }
    roots_[k] = at;
    root_order_.emplace_back(k, at);
  }
}

void CausalLinks::expire(TimePoint now) {
  while (!offers_.empty() && now - offers_.front().arrived > limits_.window)
    pop_oldest();
  while (!root_order_.empty() && now - root_order_.front().second > limits_.window) {
    const auto& [key, when] = root_order_.front();
    if (auto it = roots_.find(key); it != roots_.end() && it->second == when) roots_.erase(it);
    root_order_.pop_front();
  }
}

}  // namespace pgtally::analyzer
