#include "analyzer/metrics_recorder.hpp"

#include <algorithm>
#include <utility>

namespace pgtally::analyzer {
namespace {

constexpr std::array kStatementKinds = {
    StatementKind::other,     StatementKind::select, StatementKind::insert, StatementKind::update,
    StatementKind::delete_,   StatementKind::begin,  StatementKind::commit, StatementKind::rollback,
    StatementKind::savepoint, StatementKind::set};
constexpr std::size_t kFingerprintTextChars = 160;

std::string_view route_or_none(const std::string& route) {
  return route.empty() ? kNoRouteLabel : std::string_view(route);
}

// Cuts at a character boundary of UTF-8 text.
std::string_view cut_text(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U)
    --n;
  return text.substr(0, n);
}

}  // namespace

std::string_view BoundedLabels::map(std::string_view value) {
  if (auto it = kept_.find(value); it != kept_.end()) return it->first;
  if (kept_.size() >= k_) return kOtherLabel;
  return kept_.emplace(std::string(value), true).first->first;
}

void Histogram::observe(double value, std::span<const double> bounds) {
  const auto it = std::lower_bound(bounds.begin(), bounds.end(), value);
  ++counts[static_cast<std::size_t>(it - bounds.begin())];
  sum += value;
}

MetricsRecorder::MetricsRecorder(MetricsLimits limits)
    : limits_(limits),
      durations_(kStatementKinds.size(), Histogram(kDurationBuckets)),
      sqlstate_labels_(limits.sqlstates),
      route_labels_(limits.routes),
      group_labels_(limits.groups) {}

void MetricsRecorder::on_query(StatementKind kind, double seconds, const std::string* sqlstate) {
  const auto k = static_cast<std::size_t>(kind);
  if (k >= queries_.size()) return;
  ++queries_[k];
  durations_[k].observe(seconds, kDurationBuckets);
  if (sqlstate != nullptr) {
    const std::string_view label = sqlstate_labels_.map(*sqlstate);
    auto it = errors_.find(label);
    if (it == errors_.end()) it = errors_.emplace(std::string(label), 0).first;
    ++it->second;
  }
}

void MetricsRecorder::on_request_finished(const RequestSummary& request) {
  const std::string_view label = route_labels_.map(route_or_none(request.route));
  auto it = routes_.find(label);
  if (it == routes_.end()) it = routes_.emplace(std::string(label), RouteSeries{}).first;
  RouteSeries& s = it->second;
  ++s.requests[static_cast<std::size_t>(request.attribution)];
  s.queries.observe(static_cast<double>(request.queries), kQueryCountBuckets);
  s.db_seconds.observe(std::chrono::duration<double>(request.db_time).count(), kDurationBuckets);
  if (request.dropped > 0 || request.events_lost) ++incomplete_;
}

void MetricsRecorder::on_finding(const Finding& finding) {
  if (is_pool_kind(finding.kind)) {
    ++pool_findings_[{finding.kind, std::string(group_labels_.map(finding.group))}];
  } else {
    ++findings_[{finding.kind, std::string(route_labels_.map(route_or_none(finding.route)))}];
  }
}

MetricsRecorder::GroupSeries& MetricsRecorder::group(std::string_view label) {
  const std::string_view bounded = group_labels_.map(label);
  auto it = groups_.find(bounded);
  if (it == groups_.end()) it = groups_.emplace(std::string(bounded), GroupSeries{}).first;
  return it->second;
}

void MetricsRecorder::on_connection_opened(const ClientGroup& g) {
  ++group(group_label(g)).opened;
}

void MetricsRecorder::on_refusal(Refuser refused_by) {
  ++refusals_[static_cast<std::size_t>(refused_by)];
}

void MetricsRecorder::sample_pool(std::vector<GroupLoad> load, TimePoint now,
                                  std::uint32_t min_connections) {
  const double elapsed =
      last_sample_ ? std::chrono::duration<double>(now - *last_sample_).count() : 0.0;
  for (auto& [label, s] : groups_) {
    s.open = 0;
    s.busy = 0;
    s.idle_in_transaction = 0;
  }
  for (const GroupLoad& g : load) {
    GroupSeries& s = group(g.group);
    s.open += g.open;
    s.busy += g.busy;
    s.idle_in_transaction += g.idle_in_transaction;
    if (g.open >= min_connections && g.busy == g.open && elapsed > 0) {
      s.saturated_seconds += elapsed;
    }
  }
  const bool new_second = history_.empty() || now - history_.back().at >= std::chrono::seconds(1);
  last_sample_ = now;
  if (!new_second || limits_.history_samples == 0) return;
  std::sort(load.begin(), load.end(), [](const GroupLoad& a, const GroupLoad& b) {
    return a.open != b.open ? a.open > b.open : a.group < b.group;
  });
  if (load.size() > limits_.history_groups) load.resize(limits_.history_groups);
  if (history_.size() >= limits_.history_samples) history_.pop_front();
  history_.push_back(PoolSample{now, std::move(load)});
}

void MetricsRecorder::write(Exposition& out, const FingerprintStats& stats,
                            std::uint32_t server_max_connections) {
  out.begin(Metric::queries);
  for (const StatementKind k : kStatementKinds)
    out.sample({to_string(k)}, static_cast<double>(queries_[static_cast<std::size_t>(k)]));
  out.begin(Metric::query_duration_seconds);
  for (const StatementKind k : kStatementKinds) {
    const std::array<std::string_view, 1> labels{to_string(k)};
    const Histogram& h = durations_[static_cast<std::size_t>(k)];
    out.histogram(labels, h.counts, h.sum);
  }
  out.begin(Metric::query_errors);
  for (const auto& [sqlstate, n] : errors_)
    out.sample({sqlstate}, static_cast<double>(n));

  // Fingerprints: the first K seen keep their own series; the rest add up under "other".
  struct Totals {
    double calls = 0, seconds = 0, rows = 0;
  };
  std::vector<std::pair<const FingerprintStat*, Totals>> own;
  Totals other;
  auto totals = [](const FingerprintStat& s) {
    return Totals{static_cast<double>(s.calls), s.total_ms / 1000.0, static_cast<double>(s.rows)};
  };
  for (const FingerprintStat& s : stats.snapshot()) {
    const bool exported = std::find(exported_fingerprints_.begin(), exported_fingerprints_.end(),
                                    s.fingerprint) != exported_fingerprints_.end();
    if (s.fingerprint != 0 && (exported || exported_fingerprints_.size() < limits_.fingerprints)) {
      if (!exported) exported_fingerprints_.push_back(s.fingerprint);
      own.emplace_back(stats.find(s.fingerprint), totals(s));
    } else {
      const Totals t = totals(s);
      other.calls += t.calls;
      other.seconds += t.seconds;
      other.rows += t.rows;
    }
  }
  std::vector<std::string> ids;
  ids.reserve(own.size());
  for (const auto& [stat, t] : own)
    ids.push_back(fingerprint_hex(stat->fingerprint));
  auto per_fingerprint = [&](Metric id, double Totals::*field) {
    out.begin(id);
    for (std::size_t i = 0; i < own.size(); ++i)
      out.sample({ids[i]}, own[i].second.*field);
    out.sample({kOtherLabel}, other.*field);
  };
  per_fingerprint(Metric::fingerprint_calls, &Totals::calls);
  per_fingerprint(Metric::fingerprint_duration_seconds, &Totals::seconds);
  per_fingerprint(Metric::fingerprint_rows, &Totals::rows);
  out.begin(Metric::fingerprint_info);
  for (std::size_t i = 0; i < own.size(); ++i) {
    out.sample({ids[i], to_string(own[i].first->kind),
                cut_text(own[i].first->normalized, kFingerprintTextChars)},
               1);
  }

  out.begin(Metric::requests);
  for (const auto& [route, s] : routes_) {
    for (const Attribution a : {Attribution::tagged, Attribution::inferred}) {
      out.sample({route, to_string(a)},
                 static_cast<double>(s.requests[static_cast<std::size_t>(a)]));
    }
  }
  out.begin(Metric::requests_incomplete);
  out.sample({}, static_cast<double>(incomplete_));
  out.begin(Metric::request_queries);
  for (const auto& [route, s] : routes_) {
    const std::array<std::string_view, 1> labels{route};
    out.histogram(labels, s.queries.counts, s.queries.sum);
  }
  out.begin(Metric::request_db_duration_seconds);
  for (const auto& [route, s] : routes_) {
    const std::array<std::string_view, 1> labels{route};
    out.histogram(labels, s.db_seconds.counts, s.db_seconds.sum);
  }
  out.begin(Metric::findings);
  for (const auto& [key, n] : findings_)
    out.sample({to_string(key.first), key.second}, static_cast<double>(n));
  out.begin(Metric::pool_findings);
  for (const auto& [key, n] : pool_findings_)
    out.sample({to_string(key.first), key.second}, static_cast<double>(n));

  auto per_group = [&](Metric id, auto value) {
    out.begin(id);
    for (const auto& [label, s] : groups_)
      out.sample({label}, static_cast<double>(value(s)));
  };
  per_group(Metric::pool_connections, [](const GroupSeries& s) { return s.open; });
  per_group(Metric::pool_connections_busy, [](const GroupSeries& s) { return s.busy; });
  per_group(Metric::pool_connections_idle_in_transaction,
            [](const GroupSeries& s) { return s.idle_in_transaction; });
  per_group(Metric::pool_connections_opened, [](const GroupSeries& s) { return s.opened; });
  per_group(Metric::pool_saturated_seconds,
            [](const GroupSeries& s) { return s.saturated_seconds; });
  out.begin(Metric::server_max_connections);
  out.sample({}, server_max_connections);
  out.begin(Metric::server_refusals);
  out.sample({"server"}, static_cast<double>(refusals_[static_cast<std::size_t>(Refuser::server)]));
  out.sample({"pgtally"},
             static_cast<double>(refusals_[static_cast<std::size_t>(Refuser::pgtally)]));
}

nlohmann::json MetricsRecorder::pool_json(const ClockAnchor& clock) const {
  auto load_json = [](const GroupLoad& g) {
    return nlohmann::json{{"group", g.group},
                          {"open", g.open},
                          {"busy", g.busy},
                          {"idle_in_transaction", g.idle_in_transaction}};
  };
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [label, s] : groups_) {
    groups.push_back({{"group", label},
                      {"open", s.open},
                      {"busy", s.busy},
                      {"idle_in_transaction", s.idle_in_transaction},
                      {"opened_total", s.opened},
                      {"saturated_seconds_total", s.saturated_seconds}});
  }
  nlohmann::json history = nlohmann::json::array();
  for (const PoolSample& sample : history_) {
    nlohmann::json g = nlohmann::json::array();
    for (const GroupLoad& l : sample.groups)
      g.push_back(load_json(l));
    history.push_back({{"unix_ms", clock.unix_ms(sample.at)}, {"groups", std::move(g)}});
  }
  return {{"groups", std::move(groups)}, {"history", std::move(history)}};
}

}  // namespace pgtally::analyzer
