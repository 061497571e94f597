#include "analyzer/request_ledger.hpp"

#include <algorithm>
#include <utility>

namespace pgtally::analyzer {
namespace {

std::chrono::microseconds duration_of(TimePoint start, TimePoint end) {
  if (end < start) return std::chrono::microseconds{0};
  return std::chrono::duration_cast<std::chrono::microseconds>(end - start);
}

}  // namespace

RequestLedger::RequestLedger(std::string request_id, Attribution how, LedgerLimits l)
    : id(std::move(request_id)), attribution(how), limits(l) {}

void RequestLedger::add(const QueryRecord& r, std::span<const SampledValue> sampled) {
  const auto seq = static_cast<std::uint32_t>(queries);
  if (queries == 0) first_start = r.start;
  first_start = std::min(first_start, r.start);
  last_end = std::max(last_end, r.end);
  ++queries;
  const auto took = duration_of(r.start, r.end);
  db_time += took;
  rows += r.rows;
  if (r.error) ++errors;
  if (r.kind == StatementKind::begin) ++transactions;
  if (r.linked) ++links;
  if (!r.true_request.empty()) {
    auto truth = std::find_if(true_requests.begin(), true_requests.end(),
                              [&](const TrueRequest& t) { return t.id == r.true_request; });
    if (truth != true_requests.end()) {
      ++truth->statements;
    } else if (true_requests.size() < limits.max_true_requests) {
      true_requests.push_back({r.true_request, r.true_route, 1});
    } else {
      ++dropped_true_requests;
    }
  }
  if (std::find(connections.begin(), connections.end(), r.connection) == connections.end()) {
    if (connections.size() < limits.max_connections) {
      connections.push_back(r.connection);
    } else {
      ++dropped_connections;
    }
  }

  auto it = std::find_if(by_fingerprint.begin(), by_fingerprint.end(),
                         [&](const FingerprintUse& u) { return u.fingerprint == r.fingerprint; });
  if (it == by_fingerprint.end()) {
    if (by_fingerprint.size() >= limits.max_fingerprints) {
      ++dropped_fingerprints;
      if (is_write(r.kind)) ++write_epoch;
      return;
    }
    FingerprintUse u;
    u.fingerprint = r.fingerprint;
    u.info = r.info;
    u.kind = r.kind;
    by_fingerprint.push_back(std::move(u));
    it = by_fingerprint.end() - 1;
  }
  FingerprintUse& use = *it;
  ++use.calls;
  use.rows += r.rows;
  if (r.error) ++use.errors;
  use.time += took;
  if (r.keys.count > 1) use.largest_batch = std::max(use.largest_batch, r.keys.count);

  Execution e;
  e.start = r.start;
  e.end = r.end;
  e.key_hash = r.keys.key_hash;
  e.values_hash = r.keys.values_hash;
  e.key_count = r.kind == StatementKind::insert ? r.values_rows : r.keys.count;
  e.seq = seq;
  e.write_epoch = write_epoch;
  e.error = r.error;
  e.connection = r.connection;
  if (r.linked) {
    if (r.parent == r.fingerprint) {
      e.key_from_self = true;
    } else {
      e.parent = r.parent;
      e.parent_seq = r.parent_seq;
    }
  }
  for (const ValueHash key : r.keys.keys) {
    if (attribution != Attribution::tagged) break;
    auto origin = value_origins.find(key);
    if (origin == value_origins.end()) continue;
    if (origin->second.fingerprint != r.fingerprint) {
      e.parent = origin->second.fingerprint;
      e.parent_seq = origin->second.seq;
      break;
    }
    e.key_from_self = true;
  }
  if (use.executions.size() < limits.max_executions_per_fingerprint &&
      stored_executions < limits.max_executions) {
    use.executions.push_back(e);
    ++stored_executions;
  } else {
    ++use.dropped_executions;
  }
  if (is_write(r.kind)) ++write_epoch;

  if (attribution != Attribution::tagged) return;  // untagged parents come from the links
  for (const SampledValue& v : sampled) {
    if (value_origins.size() >= limits.max_tracked_values) {
      if (value_origins.find(v.hash) == value_origins.end()) ++untracked_values;
      continue;
    }
    value_origins.try_emplace(v.hash, Origin{r.fingerprint, seq});
  }
}

void RequestLedger::absorb(const RequestLedger& other) {
  if (other.queries == 0) return;
  if (queries == 0 || other.first_start < first_start) first_start = other.first_start;
  last_end = std::max(last_end, other.last_end);
  queries += other.queries;
  db_time += other.db_time;
  pool_wait += other.pool_wait;
  rows += other.rows;
  errors += other.errors;
  transactions += other.transactions;
  write_epoch += other.write_epoch;
  links += other.links;
  for (const TrueRequest& t : other.true_requests) {
    auto mine = std::find_if(true_requests.begin(), true_requests.end(),
                             [&](const TrueRequest& m) { return m.id == t.id; });
    if (mine != true_requests.end()) {
      mine->statements += t.statements;
    } else if (true_requests.size() < limits.max_true_requests) {
      true_requests.push_back(t);
    } else {
      ++dropped_true_requests;
    }
  }
  for (const ConnectionId c : other.connections) {
    if (std::find(connections.begin(), connections.end(), c) == connections.end() &&
        connections.size() < limits.max_connections) {
      connections.push_back(c);
    }
  }
  for (const FingerprintUse& u : other.by_fingerprint) {
    auto it = std::find_if(by_fingerprint.begin(), by_fingerprint.end(),
                           [&](const FingerprintUse& m) { return m.fingerprint == u.fingerprint; });
    if (it == by_fingerprint.end()) {
      if (by_fingerprint.size() >= limits.max_fingerprints) {
        ++dropped_fingerprints;
        continue;
      }
      by_fingerprint.push_back(u);
      stored_executions += u.executions.size();
      continue;
    }
    it->calls += u.calls;
    it->rows += u.rows;
    it->errors += u.errors;
    it->time += u.time;
    for (const Execution& e : u.executions) {
      if (it->executions.size() < limits.max_executions_per_fingerprint &&
          stored_executions < limits.max_executions) {
        it->executions.push_back(e);
        ++stored_executions;
      } else {
        ++it->dropped_executions;
      }
    }
  }
}

std::uint64_t RequestLedger::adopt(Fingerprint child, Fingerprint parent) {
  auto it = std::find_if(by_fingerprint.begin(), by_fingerprint.end(),
                         [&](const FingerprintUse& u) { return u.fingerprint == child; });
  std::uint64_t linked = 0;
  if (it == by_fingerprint.end()) return 0;
  for (Execution& e : it->executions) {
    if (e.parent != 0 || e.key_from_self) continue;
    if (parent == child) {
      e.key_from_self = true;
    } else {
      e.parent = parent;
    }
    ++links;
    ++linked;
  }
  return linked;
}

void RequestLedger::merge_tags(const RequestTags& t) {
  auto fill = [](std::string& mine, const std::string& theirs) {
    if (mine.empty()) mine = theirs;
  };
  fill(tags.request_id, t.request_id);
  fill(tags.route, t.route);
  fill(tags.controller, t.controller);
  fill(tags.action, t.action);
  fill(tags.framework, t.framework);
  fill(tags.source, t.source);
}

const FingerprintUse* RequestLedger::use(Fingerprint fp) const {
  auto it = std::find_if(by_fingerprint.begin(), by_fingerprint.end(),
                         [&](const FingerprintUse& u) { return u.fingerprint == fp; });
  return it == by_fingerprint.end() ? nullptr : &*it;
}

std::string RequestLedger::route() const {
  if (!tags.route.empty()) return tags.route;
  if (!tags.controller.empty() || !tags.action.empty()) return tags.controller + "#" + tags.action;
  return {};
}

}  // namespace pgtally::analyzer
