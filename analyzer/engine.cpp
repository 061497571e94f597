#include "analyzer/engine.hpp"

#include <algorithm>
#include <utility>

#include "analyzer/lookup_keys.hpp"
#include "analyzer/n_plus_one.hpp"
#include "analyzer/sqlcommenter.hpp"

namespace pgtally::analyzer {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// SQLSTATE is five characters from [0-9A-Z]; anything else is not kept as a label.
const std::string* valid_sqlstate(const std::optional<ServerError>& error) {
  if (!error || error->sqlstate.size() != 5) return nullptr;
  for (const char c : error->sqlstate) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return nullptr;
  }
  return &error->sqlstate;
}

}  // namespace

Engine::Engine(AnalyzerConfig config, const ValueHasher& hasher)
    : config_(config),
      hasher_(hasher),
      fingerprinter_(config.fingerprint_cache),
      attributor_([&config] {
        AttributionConfig a = config.attribution;
        a.link_values = a.link_values && config.value_sampling;
        return a;
      }()),
      pool_(config.pool),
      stats_(config.fingerprint_top_k),
      findings_(config.max_findings),
      metrics_(config.metrics) {}

void Engine::process(const Event& event) {
  ++counters_.events;
  std::visit(Overloaded{
                 [this](const ConnectionOpened& e) {
                   pool_.on_opened(e);
                   attributor_.on_opened(e);
                   metrics_.on_connection_opened(e.group);
                 },
                 [this](const ConnectionClosed& e) {
                   pool_.on_closed(e);
                   prepared_.erase(e.connection);
                   attributor_.on_closed(e.connection);
                 },
                 [this](const TransactionStateChanged& e) {
                   attributor_.on_transaction_state(e.connection, e.state);
                   pool_.on_transaction_state(e);
                 },
                 [this](const ServerRefusal& e) {
                   pool_.on_refusal(e);
                   metrics_.on_refusal(e.refused_by);
                 },
                 [this](const PoolWait& e) {
                   pool_.on_pool_wait(e);
                   if (auto it = live_.find(e.request_id); it != live_.end()) {
                     it->second.pool_wait += e.waited;
                   }
                 },
                 [this](const QueryEvent& e) { on_query(e); },
                 [this](const QueryStarted& e) { pool_.on_query_started(e); },
             },
             event);
  collect_pool_findings();
}

const std::string* Engine::resolve_text(const QueryEvent& e) {
  if (e.statement_name.empty()) return &e.text;
  auto& names = prepared_[e.connection];
  if (!e.text.empty()) {
    auto it = names.find(e.statement_name);
    if (it != names.end()) {
      if (it->second != e.text) it->second = e.text;
    } else if (names.size() < config_.max_prepared_per_connection) {
      names.emplace(e.statement_name, e.text);
    } else {
      ++counters_.prepared_dropped;
    }
    return &e.text;
  }
  auto it = names.find(e.statement_name);
  if (it == names.end()) return nullptr;
  return &it->second;
}

void Engine::on_query(const QueryEvent& e) {
  ++counters_.queries;
  latest_ = std::max(latest_, e.end);
  const std::string* resolved = resolve_text(e);
  if (resolved == nullptr) {
    ++counters_.unknown_statements;
    text_.clear();
  } else if (resolved->size() > config_.max_text_bytes) {
    ++counters_.texts_truncated;
    text_.assign(*resolved, 0, config_.max_text_bytes);
  } else {
    text_ = *resolved;
  }
  scan_sql(text_, scan_);

  Tags all_tags = e.tags;
  if (!scan_.comments.empty()) {
    Tags comment = sqlcommenter_tags(text_, scan_);
    all_tags.insert(all_tags.end(), std::make_move_iterator(comment.begin()),
                    std::make_move_iterator(comment.end()));
  }
  const RequestTags tags = interpret_tags(all_tags);
  const std::shared_ptr<const FingerprintInfo> info = fingerprinter_.fingerprint(text_, scan_);

  const std::vector<Parameter>* params = &e.parameters;
  if (e.protocol == Protocol::simple && config_.value_sampling) {
    lift_literals(text_, scan_, hasher_, lifted_);
    params = &lifted_;
  }
  QueryRecord record;
  record.fingerprint = info->fingerprint;
  record.info = info;
  record.kind = info->kind;
  record.connection = e.connection;
  record.start = e.start;
  record.end = e.end;
  record.rows = e.rows;
  record.error = e.error.has_value();
  record.values_rows = scan_.values_rows;
  if (config_.value_sampling) record.keys = lookup_keys(scan_, *params, e.protocol);

  if (config_.value_sampling) {
    link_keys_.clear();
    // Only id-like values link: a status or a flag is in too many rows to say anything. An
    // INSERT links by the values it writes, other statements by the keys they look up.
    const auto& candidates =
        info->kind == StatementKind::insert ? record.keys.values : record.keys.keys;
    for (const ValueHash k : candidates) {
      if (is_id_like(k)) link_keys_.push_back(k);
    }
  }
  const StatementFacts facts{e.connection,          tags.request_id, info->kind, info->fingerprint,
                             record.keys.key_hash,  e.start,         e.end,      link_keys_,
                             record.keys.count > 1, e.suspended,     e.resumed};
  const AttributionDecision d = attributor_.attribute(facts);
  for (const std::string& absorbed : d.absorb) {
    auto it = live_.find(absorbed);
    if (it == live_.end() || it->first == d.request_id) continue;
    RequestLedger part = std::move(it->second);
    live_.erase(it);
    if (d.parent && std::find(d.adopted.begin(), d.adopted.end(), absorbed) != d.adopted.end()) {
      counters_.value_links += part.adopt(info->fingerprint, d.parent->fingerprint);
    }
    live_request(d.request_id, d.attribution, e.connection).absorb(part);
    ++counters_.requests_absorbed;
  }
  RequestLedger& ledger = live_request(d.request_id, d.attribution, e.connection);
  if (d.attribution == Attribution::inferred) ledger.basis = attributor_.basis(d.request_id);
  if (d.parent) {
    record.linked = true;
    record.parent = d.parent->fingerprint;
    record.parent_seq = d.parent->execution;
    ++counters_.value_links;
  }
  if (config_.attribution.ignore_tags) {
    record.true_request = tags.request_id;
    record.true_route = tags.route;
  } else {
    ledger.merge_tags(tags);
  }
  if (tags.pool_wait) ledger.pool_wait += *tags.pool_wait;
  const std::span<const SampledValue> values = config_.value_sampling
                                                   ? std::span<const SampledValue>(e.sampled_values)
                                                   : std::span<const SampledValue>();
  const auto execution = static_cast<std::uint32_t>(ledger.queries);
  ledger.add(record, values);
  ledger.last_activity = std::max(ledger.last_activity, e.end);
  attributor_.offer(d, facts, execution, values);

  const std::string* sqlstate = valid_sqlstate(e.error);
  if (e.error && sqlstate == nullptr) sqlstate = &invalid_sqlstate_;
  stats_.record(*info, e.end - e.start, e.rows, sqlstate);
  metrics_.on_query(info->kind, std::chrono::duration<double>(e.end - e.start).count(), sqlstate);
  pool_.on_query(e, info->fingerprint, d.request_id, d.attribution, tags.pool_wait);
  if (d.attribution == Attribution::inferred) {
    auto it = live_.find(d.request_id);
    if (it != live_.end() && it->second.queries >= config_.max_unit_statements) {
      ++counters_.requests_cut;
      finish(d.request_id);
    }
  }
}

RequestLedger& Engine::live_request(const std::string& id, Attribution how,
                                    ConnectionId connection) {
  if (auto it = live_.find(id); it != live_.end()) return it->second;
  if (live_.size() >= config_.max_live_requests) make_room();
  ++counters_.requests_started;
  RequestLedger ledger(id, how, config_.ledger);
  ledger.origin_connection = connection;
  if (how == Attribution::tagged) ledger.tags.request_id = id;
  return live_.emplace(id, std::move(ledger)).first->second;
}

void Engine::make_room() {
  std::vector<std::pair<TimePoint, const std::string*>> by_activity;
  by_activity.reserve(live_.size());
  for (const auto& [id, l] : live_)
    by_activity.emplace_back(l.last_activity, &id);
  const std::size_t end = std::max<std::size_t>(1, by_activity.size() / 16);
  std::nth_element(by_activity.begin(), by_activity.begin() + static_cast<std::ptrdiff_t>(end - 1),
                   by_activity.end());
  std::vector<std::string> oldest;
  oldest.reserve(end);
  for (std::size_t i = 0; i < end; ++i)
    oldest.push_back(*by_activity[i].second);
  for (const std::string& id : oldest) {
    // Those idle by the events' own clock would have ended at the next tick anyway.
    if (!idle(live_.at(id), latest_)) ++counters_.requests_evicted;
    finish(id);
  }
}

void Engine::finish(const std::string& id) {
  auto it = live_.find(id);
  if (it == live_.end()) return;
  RequestLedger ledger = std::move(it->second);
  live_.erase(it);
  ledger.finished = true;
  if (ledger.attribution == Attribution::inferred) attributor_.request_ended(ledger.id);
  RequestSummary summary = summarize(ledger);
  counters_.ledger_dropped += summary.dropped;
  QueryPatternConfig patterns = config_.patterns;
  patterns.values_known = config_.value_sampling;
  for (Finding& f : detect_query_patterns(ledger, patterns)) {
    const FindingKind kind = f.kind;
    const std::string fid = finding_id(f);
    record_finding(std::move(f));
    summary.findings.push_back({fid, kind});
  }
  ++counters_.requests_finished;
  metrics_.on_request_finished(summary);
  if (config_.finished_requests == 0) return;
  if (finished_.size() >= config_.finished_requests) finished_.pop_front();
  finished_.push_back(std::move(summary));
}

void Engine::record_finding(Finding f) {
  const std::size_t dropped_before = findings_.dropped();
  const FindingGroup& group = findings_.add(std::move(f));
  counters_.findings_dropped += findings_.dropped() - dropped_before;
  metrics_.on_finding(group.latest);
  if (sink_) sink_(group.latest, group);
}

void Engine::collect_pool_findings() {
  for (Finding& f : pool_.take_findings())
    record_finding(std::move(f));
}

bool Engine::holds_transaction(const RequestLedger& ledger) const {
  for (const ConnectionId c : ledger.connections) {
    if (attributor_.holds_transaction(c, ledger.id)) return true;
  }
  return false;
}

bool Engine::idle(const RequestLedger& l, TimePoint now) const {
  const std::chrono::nanoseconds timeout =
      holds_transaction(l) ? std::chrono::nanoseconds(config_.request_in_transaction_timeout)
      : l.attribution == Attribution::tagged
          ? std::chrono::nanoseconds(config_.request_idle_timeout)
          : std::chrono::nanoseconds(config_.attribution.idle_gap);
  return now - l.last_activity >= timeout;
}

void Engine::tick(TimePoint now) {
  std::vector<std::string> over;
  for (const auto& [id, l] : live_) {
    if (idle(l, now)) {
      over.push_back(id);
    } else if (l.attribution == Attribution::inferred &&
               l.last_activity - l.first_start >= config_.inferred_max_duration) {
      ++counters_.requests_cut;
      over.push_back(id);
    }
  }
  for (const std::string& id : over)
    finish(id);
  attributor_.expire(now);
  pool_.tick(now);
  collect_pool_findings();
  metrics_.sample_pool(pool_.group_load(), now, config_.pool.saturation_min_connections);
}

void Engine::flush(TimePoint now) {
  std::vector<std::string> all;
  all.reserve(live_.size());
  for (const auto& [id, l] : live_)
    all.push_back(id);
  for (const std::string& id : all)
    finish(id);
  pool_.tick(now);
  collect_pool_findings();
}

std::vector<RequestSummary> Engine::requests(std::size_t limit) const {
  std::vector<RequestSummary> out;
  for (const auto& [id, l] : live_) {
    if (out.size() >= limit) return out;
    out.push_back(summarize(l));
  }
  for (auto it = finished_.rbegin(); it != finished_.rend() && out.size() < limit; ++it) {
    out.push_back(*it);
  }
  return out;
}

std::optional<RequestSummary> Engine::request(const std::string& id) const {
  if (auto it = live_.find(id); it != live_.end()) return summarize(it->second);
  for (auto it = finished_.rbegin(); it != finished_.rend(); ++it) {
    if (it->id == id) return *it;
  }
  return std::nullopt;
}

void Engine::mark_events_lost(TimePoint since) {
  for (auto& [id, l] : live_)
    l.events_lost = true;
  for (auto it = finished_.rbegin(); it != finished_.rend() && it->last_end >= since; ++it)
    it->events_lost = true;
}

void Engine::write_metrics(Exposition& out) {
  metrics_.write(out, stats_, config_.pool.server_max_connections);
}

AnalyzerCounters Engine::counters() const {
  AnalyzerCounters c = counters_;
  const auto& fs = fingerprinter_.stats();
  c.fingerprint_cache_hits = fs.hits;
  c.fingerprint_cache_misses = fs.misses;
  c.fingerprint_parse_failures = fs.parse_failures;
  c.live_requests = live_.size();
  c.link_offers = attributor_.offers();
  c.link_offers_evicted = attributor_.offers_evicted();
  return c;
}

}  // namespace pgtally::analyzer
