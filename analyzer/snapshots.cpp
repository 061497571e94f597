#include "analyzer/snapshots.hpp"

#include <algorithm>
#include <cstdint>

namespace pgtally::analyzer {
namespace {

double ms(std::chrono::microseconds d) {
  return static_cast<double>(d.count()) / 1000.0;
}

const char* to_string(TxState s) {
  switch (s) {
    case TxState::idle:
      return "idle";
    case TxState::in_transaction:
      return "in_transaction";
    case TxState::failed:
      return "failed";
  }
  return "unknown";
}

}  // namespace

RequestSummary summarize(const RequestLedger& l) {
  RequestSummary s;
  s.id = l.id;
  s.attribution = l.attribution;
  s.basis = l.basis;
  s.tags = l.tags;
  s.route = l.route();
  s.first_start = l.first_start;
  s.last_end = l.last_end;
  s.finished = l.finished;
  s.queries = l.queries;
  s.db_time = l.db_time;
  s.pool_wait = l.pool_wait;
  s.rows = l.rows;
  s.errors = l.errors;
  s.transactions = l.transactions;
  s.links = l.links;
  s.connections = l.connections;
  s.true_requests = l.true_requests;
  s.dropped = l.dropped_fingerprints + l.dropped_connections;
  s.by_fingerprint.reserve(l.by_fingerprint.size());
  for (const FingerprintUse& u : l.by_fingerprint) {
    s.dropped += u.dropped_executions;
    s.by_fingerprint.push_back({u.fingerprint, u.info ? u.info->normalized : std::string{}, u.kind,
                                u.calls, u.rows, u.time, u.largest_batch});
  }
  s.events_lost = l.events_lost;
  auto micros = [](auto d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
  };
  for (std::size_t i = 0; i < l.by_fingerprint.size() && i <= UINT16_MAX; ++i) {
    for (const Execution& e : l.by_fingerprint[i].executions) {
      const auto c = std::find(l.connections.begin(), l.connections.end(), e.connection);
      const auto ci = static_cast<std::size_t>(c - l.connections.begin());
      s.timeline.push_back({e.seq, micros(e.start - l.first_start), micros(e.end - e.start),
                            static_cast<std::uint16_t>(i),
                            static_cast<std::uint8_t>(std::min<std::size_t>(ci, 255)), e.error});
    }
  }
  std::sort(
      s.timeline.begin(), s.timeline.end(),
      [](const RequestSummary::Step& a, const RequestSummary::Step& b) { return a.seq < b.seq; });
  if (s.timeline.size() > RequestSummary::kMaxTimeline) {
    s.timeline.resize(RequestSummary::kMaxTimeline);
    s.timeline.shrink_to_fit();
  }
  return s;
}

nlohmann::json to_json(const RequestSummary& r, const ClockAnchor& clock, bool with_timeline) {
  nlohmann::json fps = nlohmann::json::array();
  for (const auto& f : r.by_fingerprint) {
    nlohmann::json j = {{"fingerprint", fingerprint_hex(f.fingerprint)},
                        {"normalized_query", f.normalized},
                        {"statement", to_string(f.kind)},
                        {"calls", f.calls},
                        {"rows", f.rows},
                        {"time_ms", ms(f.time)}};
    if (f.largest_batch > 0) j["largest_batch"] = f.largest_batch;
    fps.push_back(std::move(j));
  }
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : r.findings)
    findings.push_back({{"id", f.id}, {"kind", to_string(f.kind)}});
  nlohmann::json j = {
      {"id", r.id},
      {"attribution", to_string(r.attribution)},
      {"unit", to_string(r.basis)},
      {"finished", r.finished},
      {"start_unix_ms", clock.unix_ms(r.first_start)},
      {"end_unix_ms", clock.unix_ms(r.last_end)},
      {"queries", r.queries},
      {"db_time_ms", ms(r.db_time)},
      {"pool_wait_ms", ms(r.pool_wait)},
      {"rows", r.rows},
      {"errors", r.errors},
      {"transactions", r.transactions},
      {"connections", r.connections.size()},
      {"by_fingerprint", std::move(fps)},
      {"findings", std::move(findings)},
      {"dropped", r.dropped},
      {"events_lost", r.events_lost},
      {"complete", r.complete()},
  };
  auto opt = [&j](const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
  };
  if (with_timeline) {
    nlohmann::json steps = nlohmann::json::array();
    for (const RequestSummary::Step& step : r.timeline) {
      const std::size_t ci = step.connection_index;
      steps.push_back(
          {{"seq", step.seq},
           {"fingerprint", fingerprint_hex(r.by_fingerprint[step.fingerprint_index].fingerprint)},
           {"offset_ms", static_cast<double>(step.offset_us) / 1000.0},
           {"duration_ms", static_cast<double>(step.duration_us) / 1000.0},
           {"connection", ci < r.connections.size() ? r.connections[ci] : 0},
           {"error", step.error}});
    }
    j["timeline"] = std::move(steps);
  }
  if (r.links > 0) j["value_links"] = r.links;
  if (!r.true_requests.empty()) {
    nlohmann::json truth = nlohmann::json::array();
    for (const TrueRequest& t : r.true_requests)
      truth.push_back({{"request_id", t.id}, {"route", t.route}, {"statements", t.statements}});
    j["true_requests"] = std::move(truth);
  }
  opt("route", r.route);
  opt("controller", r.tags.controller);
  opt("action", r.tags.action);
  opt("framework", r.tags.framework);
  opt("source", r.tags.source);
  return j;
}

nlohmann::json to_json(const FingerprintStat& s) {
  nlohmann::json buckets = nlohmann::json::array();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    cumulative += s.buckets[i];
    if (i < kLatencyBuckets.size()) {
      buckets.push_back({{"le", kLatencyBuckets[i]}, {"count", cumulative}});
    } else {
      buckets.push_back({{"le", "+Inf"}, {"count", cumulative}});
    }
  }
  return {
      {"fingerprint", s.fingerprint == 0 ? std::string("other") : fingerprint_hex(s.fingerprint)},
      {"normalized_query", s.normalized},
      {"statement", to_string(s.kind)},
      {"calls", s.calls},
      {"rows", s.rows},
      {"total_time_ms", s.total_ms},
      {"mean_time_ms", s.mean_ms},
      {"min_time_ms", s.min_ms},
      {"max_time_ms", s.max_ms},
      {"stddev_time_ms", s.stddev_ms()},
      {"latency_buckets", std::move(buckets)},
      {"errors", s.errors}};
}

nlohmann::json to_json(const ConnectionView& c, const ClockAnchor& clock) {
  return {{"connection", c.connection},
          {"backend_pid", c.backend_pid},
          {"client_group", c.group},
          {"source", c.source == Source::proxy ? "proxy" : "orm"},
          {"opened_unix_ms", clock.unix_ms(c.opened)},
          {"state", to_string(c.state)},
          {"running", c.running},
          {"request_id", c.request_id},
          {"queries", c.queries}};
}

nlohmann::json to_json(const AnalyzerCounters& c) {
  return {{"events", c.events},
          {"queries", c.queries},
          {"requests_started", c.requests_started},
          {"requests_finished", c.requests_finished},
          {"requests_evicted", c.requests_evicted},
          {"requests_cut", c.requests_cut},
          {"requests_absorbed", c.requests_absorbed},
          {"unknown_statements", c.unknown_statements},
          {"prepared_dropped", c.prepared_dropped},
          {"texts_truncated", c.texts_truncated},
          {"ledger_dropped", c.ledger_dropped},
          {"value_links", c.value_links},
          {"link_offers", c.link_offers},
          {"link_offers_evicted", c.link_offers_evicted},
          {"findings_dropped", c.findings_dropped},
          {"fingerprint_cache_hits", c.fingerprint_cache_hits},
          {"fingerprint_cache_misses", c.fingerprint_cache_misses},
          {"fingerprint_parse_failures", c.fingerprint_parse_failures},
          {"live_requests", c.live_requests},
          {"ring_dropped_full", c.ring_dropped_full},
          {"ring_dropped_stopped", c.ring_dropped_stopped},
          {"ring_dropped_producer", c.ring_dropped_producer}};
}

}  // namespace pgtally::analyzer
