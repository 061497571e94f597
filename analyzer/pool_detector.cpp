#include "analyzer/pool_detector.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

double ms_of(std::chrono::nanoseconds d) {
  return static_cast<double>(duration_cast<microseconds>(d).count()) / 1000.0;
}

constexpr std::size_t kMaxBusyIntervals = 4096;  // per connection, within the window

}  // namespace

PoolDetector::Group& PoolDetector::group_of(const ClientGroup& g) {
  auto [it, inserted] = groups_.try_emplace(group_label(g));
  if (inserted) it->second.group = g;
  return it->second;
}

bool PoolDetector::rate_limited(std::optional<TimePoint>& last, TimePoint now) const {
  if (last && now - *last < config_.saturation_window) return true;
  last = now;
  return false;
}

void PoolDetector::on_opened(const ConnectionOpened& e) {
  latest_ = std::max(latest_, e.at);
  Connection c;
  c.view.connection = e.connection;
  c.view.backend_pid = e.backend_pid;
  c.view.group = group_label(e.group);
  c.view.source = e.source;
  c.view.opened = e.at;
  c.group = e.group;
  c.idle_since = e.at;
  connections_[e.connection] = std::move(c);
  Group& g = group_of(e.group);
  ++g.open;
  g.count_changed = e.at;
  if (g.open > g.peak) g.peak = g.open;
  g.opens.push_back(e.at);
  check_churn(g, e.at);
  if (config_.server_max_connections > 0 && connections_.size() >= config_.server_max_connections &&
      !rate_limited(g.last_saturation, e.at)) {
    Finding f;
    f.kind = FindingKind::pool_saturation;
    f.severity = Severity::high;
    f.group = group_label(e.group);
    f.at = e.at;
    f.count = connections_.size();
    f.evidence = {{"open_connections", connections_.size()},
                  {"server_max_connections", config_.server_max_connections},
                  {"group_connections", g.open},
                  {"at_server_limit", true}};
    f.fix = fmt::format(
        "{} connections are open against a server limit of {}: the next client will be "
        "refused. Lower the pool sizes so their sum across app instances stays under "
        "max_connections, or put a pooler in front.",
        connections_.size(), config_.server_max_connections);
    findings_.push_back(std::move(f));
  }
}

void PoolDetector::leave_holders(ConnectionId id, Connection& c) {
  if (c.view.request_id.empty()) return;
  auto it = holders_.find(c.view.request_id);
  if (it == holders_.end()) return;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), id), list.end());
  if (list.empty()) holders_.erase(it);
}

void PoolDetector::on_closed(const ConnectionClosed& e) {
  latest_ = std::max(latest_, e.at);
  auto it = connections_.find(e.connection);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (c.view.state != TxState::idle) check_idle(c, e.at);
  leave_holders(e.connection, c);
  Group& g = group_of(c.group);
  if (g.open > 0) --g.open;
  g.count_changed = e.at;
  g.closes.emplace_back(e.at, duration_cast<microseconds>(e.at - c.view.opened));
  connections_.erase(it);
  check_churn(g, e.at);
}

void PoolDetector::add_busy(Connection& c, TimePoint start, TimePoint end) {
  if (end < start) end = start;
  latest_ = std::max(latest_, end);
  const TimePoint horizon = latest_ - 2 * config_.saturation_window;
  while (!c.busy.empty() && c.busy.front().second < horizon)
    c.busy.pop_front();
  if (c.busy.size() >= kMaxBusyIntervals) c.busy.pop_front();
  if (!c.busy.empty() && c.busy.back().second >= start && c.busy.back().first <= start) {
    c.busy.back().second = std::max(c.busy.back().second, end);
  } else {
    c.busy.emplace_back(start, end);
  }
}

void PoolDetector::check_idle(Connection& c, TimePoint until) {
  if (c.idle_reported || c.view.state == TxState::idle) return;
  const auto idle = until - c.idle_since;
  if (idle < config_.idle_in_transaction) return;
  c.idle_reported = true;
  Finding f;
  f.kind = FindingKind::idle_in_transaction;
  f.severity = idle >= 5 * config_.idle_in_transaction ? Severity::high : Severity::medium;
  f.group = c.view.group;
  f.at = until;
  f.count = 1;
  f.request_id = c.view.request_id;
  f.attribution = c.tagged ? Attribution::tagged : Attribution::inferred;
  f.evidence = {{"connection", c.view.connection},
                {"backend_pid", c.view.backend_pid},
                {"idle_ms", ms_of(idle)},
                {"transaction_age_ms", ms_of(until - c.tx_since)},
                {"last_fingerprint", fingerprint_hex(c.last_fingerprint)}};
  f.fix = fmt::format(
      "Connection {} sat in an open transaction doing nothing for {:.0f} ms, holding its locks "
      "and its pool slot: commit before slow work (HTTP calls, user input, heavy computation) "
      "and set idle_in_transaction_session_timeout as a safety net.",
      c.view.connection, ms_of(idle));
  findings_.push_back(std::move(f));
}

void PoolDetector::on_transaction_state(const TransactionStateChanged& e) {
  latest_ = std::max(latest_, e.at);
  auto it = connections_.find(e.connection);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  const bool was_in_tx = c.view.state != TxState::idle;
  const bool in_tx = e.state != TxState::idle;
  if (was_in_tx && !in_tx) {
    check_idle(c, e.at);
    add_busy(c, c.tx_since, e.at);
    leave_holders(e.connection, c);
    c.idle_since = e.at;
  } else if (!was_in_tx && in_tx) {
    c.tx_since = e.at;
    c.idle_since = e.at;
    c.idle_reported = false;
    if (c.tagged && !c.view.request_id.empty()) {
      auto& list = holders_[c.view.request_id];
      if (std::find(list.begin(), list.end(), e.connection) == list.end()) {
        list.push_back(e.connection);
      }
    }
  }
  c.view.state = e.state;
}

void PoolDetector::on_query_started(const QueryStarted& e) {
  latest_ = std::max(latest_, e.at);
  auto it = connections_.find(e.connection);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  c.reports_starts = true;
  if (c.view.state != TxState::idle) check_idle(c, e.at);
  c.view.running = true;
  c.running_since = e.at;
}

void PoolDetector::on_query(const QueryEvent& e, Fingerprint fingerprint,
                            const std::string& request_id, Attribution attribution,
                            std::optional<microseconds> pool_wait) {
  auto it = connections_.find(e.connection);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (c.view.state != TxState::idle) check_idle(c, e.start);

  // Nested connection: this tagged request already holds a transaction on another connection.
  if (attribution == Attribution::tagged && !request_id.empty()) {
    if (auto h = holders_.find(request_id); h != holders_.end()) {
      for (const ConnectionId other : h->second) {
        if (other == e.connection) continue;
        auto o = connections_.find(other);
        if (o == connections_.end() || o->second.view.state == TxState::idle ||
            o->second.tx_since >= e.start) {
          continue;
        }
        Finding f;
        f.kind = FindingKind::nested_connection;
        f.severity = Severity::high;
        f.group = c.view.group;
        f.at = e.start;
        f.count = 1;
        f.request_id = request_id;
        f.evidence = {{"holding_connection", other},
                      {"second_connection", e.connection},
                      {"transaction_age_ms", ms_of(e.start - o->second.tx_since)},
                      {"fingerprint", fingerprint_hex(fingerprint)}};
        f.fix = fmt::format(
            "Request {} ran a statement on connection {} while its transaction on connection {} "
            "was still open: under load every request holds one connection and waits for a "
            "second, and the pool deadlocks. Run the inner work on the transaction's own "
            "connection (pass it down), or finish the transaction first.",
            request_id, e.connection, other);
        findings_.push_back(std::move(f));
        break;
      }
    }
  }

  if (c.view.request_id != request_id) leave_holders(e.connection, c);
  c.view.request_id = request_id;
  c.tagged = attribution == Attribution::tagged;
  if (c.tagged && c.view.state != TxState::idle) {
    auto& list = holders_[request_id];
    if (std::find(list.begin(), list.end(), e.connection) == list.end()) {
      list.push_back(e.connection);
    }
  }
  ++c.view.queries;
  c.view.running = false;
  c.last_fingerprint = fingerprint;
  c.idle_since = std::max(c.idle_since, e.end);
  add_busy(c, e.start, e.end);
  if (pool_wait && *pool_wait >= config_.pool_wait_threshold) {
    report_wait(group_of(c.group), request_id, *pool_wait, e.start, "db_pool_wait_ms");
  }
}

void PoolDetector::report_wait(Group& g, const std::string& request_id, microseconds waited,
                               TimePoint at, const char* reported_by) {
  if (rate_limited(g.last_wait, at)) return;
  Finding f;
  f.kind = FindingKind::pool_saturation;
  f.severity = Severity::medium;
  f.group = group_label(g.group);
  f.at = at;
  f.count = 1;
  f.request_id = request_id;
  f.evidence = {{"pool_wait_ms", ms_of(waited)}, {"reported_by", reported_by}};
  f.fix = fmt::format(
      "A caller waited {:.0f} ms for a pooled connection: the pool is exhausted. Find what holds "
      "connections (long transactions, N+1 loops, slow queries) before raising the pool size.",
      ms_of(waited));
  findings_.push_back(std::move(f));
}

void PoolDetector::on_pool_wait(const PoolWait& e) {
  latest_ = std::max(latest_, e.at);
  if (e.waited < config_.pool_wait_threshold) return;
  Group& g = group_of(e.group);
  const std::size_t before = findings_.size();
  report_wait(g, e.request_id, e.waited, e.at, "orm");
  if (findings_.size() > before) {
    findings_.back().evidence["in_use"] = e.in_use;
    findings_.back().evidence["waiting"] = e.waiting;
    findings_.back().evidence["max"] = e.max;
  }
}

void PoolDetector::on_refusal(const ServerRefusal& e) {
  latest_ = std::max(latest_, e.at);
  Finding f;
  f.kind = FindingKind::server_refusal;
  const bool by_server = e.refused_by == Refuser::server;
  f.severity = by_server ? Severity::high : Severity::medium;
  f.group = group_label(e.group);
  f.at = e.at;
  f.count = 1;
  f.evidence = {{"sqlstate", "53300"},
                {"refused_by", by_server ? "server" : "pgtally"},
                {"open_connections", connections_.size()}};
  f.fix = by_server
              ? std::string(
                    "The server refused a connection (53300 too_many_connections): the pools of "
                    "all app instances together exceed max_connections. Lower pool sizes, or put "
                    "a pooler in front.")
              : std::string(
                    "pgtally's own client limit refused a connection: raise the limit in the "
                    "pgtally config, or lower the application's pool size.");
  findings_.push_back(std::move(f));
}

void PoolDetector::check_churn(Group& g, TimePoint now) {
  const TimePoint horizon = now - config_.churn_window;
  while (!g.opens.empty() && g.opens.front() < horizon)
    g.opens.pop_front();
  while (!g.closes.empty() && g.closes.front().first < horizon)
    g.closes.pop_front();
  if (g.opens.size() < config_.churn_connections || g.closes.empty() ||
      g.closes.size() * 2 < config_.churn_connections) {
    return;
  }
  std::vector<microseconds> lifetimes;
  lifetimes.reserve(g.closes.size());
  for (const auto& [at, life] : g.closes)
    lifetimes.push_back(life);
  const auto mid = lifetimes.begin() + static_cast<std::ptrdiff_t>(lifetimes.size() / 2);
  std::nth_element(lifetimes.begin(), mid, lifetimes.end());
  const microseconds median = *mid;
  if (median >= config_.churn_median_lifetime) return;
  if (g.last_churn && now - *g.last_churn < config_.churn_window) return;
  g.last_churn = now;
  Finding f;
  f.kind = FindingKind::connection_churn;
  f.severity = Severity::medium;
  f.group = group_label(g.group);
  f.at = now;
  f.count = g.opens.size();
  f.evidence = {{"new_connections", g.opens.size()},
                {"window_s", static_cast<double>(config_.churn_window.count()) / 1000.0},
                {"median_lifetime_ms", ms_of(median)}};
  f.fix = fmt::format(
      "{} new connections in {} s living a median {:.0f} ms each: the client connects per "
      "request. Each connection costs a backend process and an authentication round trip; use a "
      "connection pool in the application (or a pooler).",
      g.opens.size(), config_.churn_window.count() / 1000, ms_of(median));
  findings_.push_back(std::move(f));
}

void PoolDetector::check_saturation(const std::string& label, Group& g, TimePoint now) {
  const auto window = config_.saturation_window;
  const TimePoint from = now - window;
  if (g.open < std::max<std::uint32_t>(1, config_.saturation_min_connections) || g.open != g.peak ||
      g.count_changed > from) {
    return;
  }
  if (g.last_saturation && now - *g.last_saturation < window) return;
  // Per connection: the union of its busy intervals inside the window.
  std::vector<std::pair<TimePoint, int>> edges;
  std::uint32_t members = 0;
  for (auto& [id, c] : connections_) {
    if (c.view.group != label) continue;
    ++members;
    std::vector<Interval> spans;
    for (const auto& [s, e] : c.busy) {
      if (e > from && s < now) spans.emplace_back(std::max(s, from), std::min(e, now));
    }
    if (c.view.state != TxState::idle) spans.emplace_back(std::max(c.tx_since, from), now);
    if (c.view.running) spans.emplace_back(std::max(c.running_since, from), now);
    std::sort(spans.begin(), spans.end());
    std::vector<Interval> merged;
    for (const auto& s : spans) {
      if (!merged.empty() && s.first <= merged.back().second) {
        merged.back().second = std::max(merged.back().second, s.second);
      } else {
        merged.push_back(s);
      }
    }
    for (const auto& [s, e] : merged) {
      edges.emplace_back(s, 1);
      edges.emplace_back(e, -1);
    }
  }
  if (members == 0) return;
  std::sort(edges.begin(), edges.end());
  std::chrono::nanoseconds all_busy{0};
  int active = 0;
  TimePoint prev = from;
  for (const auto& [t, delta] : edges) {
    if (active == static_cast<int>(members)) all_busy += t - prev;
    active += delta;
    prev = t;
  }
  const double fraction = static_cast<double>(all_busy.count()) /
                          static_cast<double>(std::chrono::nanoseconds(window).count());
  if (fraction < config_.saturation_busy_fraction) return;
  g.last_saturation = now;
  Finding f;
  f.kind = FindingKind::pool_saturation;
  f.severity = Severity::high;
  f.group = label;
  f.at = now;
  f.count = members;
  f.evidence = {{"connections", members},
                {"all_busy_fraction", fraction},
                {"window_s", static_cast<double>(window.count()) / 1000.0},
                {"peak_connections", g.peak}};
  f.fix = fmt::format(
      "All {} connections of this client group were busy {:.0f}% of the last {} s and the pool "
      "did not grow: callers queue for a connection. Shorten transactions and remove N+1 loops "
      "first; raise the pool size only if the server has room (max_connections).",
      members, fraction * 100.0, window.count() / 1000);
  findings_.push_back(std::move(f));
}

void PoolDetector::tick(TimePoint now) {
  latest_ = std::max(latest_, now);
  for (auto& [id, c] : connections_) {
    if (c.view.state != TxState::idle && c.reports_starts && !c.view.running) check_idle(c, now);
  }
  for (auto& [label, g] : groups_)
    check_saturation(label, g, now);
}

std::vector<Finding> PoolDetector::take_findings() {
  std::vector<Finding> out;
  out.swap(findings_);
  return out;
}

std::vector<ConnectionView> PoolDetector::connections() const {
  std::vector<ConnectionView> out;
  out.reserve(connections_.size());
  for (const auto& [id, c] : connections_)
    out.push_back(c.view);
  std::sort(out.begin(), out.end(), [](const ConnectionView& a, const ConnectionView& b) {
    return a.connection < b.connection;
  });
  return out;
}

std::vector<GroupLoad> PoolDetector::group_load() const {
  std::map<std::string_view, GroupLoad> by_group;
  for (const auto& [id, c] : connections_) {
    GroupLoad& g = by_group[c.view.group];
    ++g.open;
    const bool in_tx = c.view.state != TxState::idle;
    if (c.view.running || in_tx) ++g.busy;
    if (in_tx && !c.view.running) ++g.idle_in_transaction;
  }
  std::vector<GroupLoad> out;
  out.reserve(by_group.size());
  for (auto& [label, load] : by_group) {
    load.group = std::string(label);
    out.push_back(std::move(load));
  }
  return out;
}

}  // namespace pgtally::analyzer
