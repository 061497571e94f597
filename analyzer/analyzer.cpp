#include "analyzer/analyzer.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace pgtally::analyzer {
namespace {

TimePoint event_time(const Event& event) {
  return std::visit(
      [](const auto& e) {
        if constexpr (requires { e.end; }) {
          return e.end;
        } else {
          return e.at;
        }
      },
      event);
}

}  // namespace

Analyzer::Analyzer(AnalyzerConfig config, std::chrono::milliseconds tick_interval)
    : tick_interval_(tick_interval), engine_(config, hasher_) {}

Analyzer::~Analyzer() {
  stop();
}

EventRing& Analyzer::add_producer(std::size_t capacity) {
  const std::lock_guard lock(rings_mutex_);
  rings_.push_back(std::make_unique<EventRing>(capacity));
  return *rings_.back();
}

std::size_t Analyzer::drain_locked(std::size_t max_per_ring) {
  std::vector<EventRing*> rings;
  {
    const std::lock_guard lock(rings_mutex_);
    rings.reserve(rings_.size());
    for (const auto& r : rings_)
      rings.push_back(r.get());
  }
  const std::lock_guard lock(engine_mutex_);
  // Each ring is in time order, but two relay threads' rings are not in order with each other:
  // a batch is merged by time, so one request seen on two threads is seen as it happened.
  batch_.clear();
  for (EventRing* ring : rings) {
    for (std::size_t i = 0; i < max_per_ring; ++i) {
      std::optional<Event> e = ring->try_pop();
      if (!e) break;
      batch_.push_back(std::move(*e));
    }
  }
  if (rings.size() > 1) {
    std::stable_sort(batch_.begin(), batch_.end(),
                     [](const Event& a, const Event& b) { return event_time(a) < event_time(b); });
  }
  TimePoint newest{};
  for (const Event& e : batch_) {
    newest = std::max(newest, event_time(e));
    engine_.process(e);
  }
  const std::size_t n = batch_.size();
  const TimePoint now = Clock::now();
  if (n > 0) lag_ns_.store((now - newest).count(), std::memory_order_relaxed);
  if (const std::uint64_t drops = ring_drops(); drops != drops_seen_) {
    // The dropped events were pushed after the previous drain emptied the rings.
    engine_.mark_events_lost(last_drain_);
    drops_seen_ = drops;
  }
  last_drain_ = now;
  return n;
}

std::uint64_t Analyzer::ring_drops() const {
  std::uint64_t total = 0;
  const std::lock_guard lock(rings_mutex_);
  for (const auto& r : rings_) {
    total += r->drops(DropReason::ring_full) + r->drops(DropReason::stopped) +
             r->drops(DropReason::producer);
  }
  return total;
}

std::size_t Analyzer::drain(TimePoint now) {
  if (running()) return 0;
  std::size_t total = 0;
  for (;;) {
    const std::size_t n = drain_locked(SIZE_MAX);
    total += n;
    if (n == 0) break;
  }
  const std::lock_guard lock(engine_mutex_);
  engine_.tick(now);
  return total;
}

void Analyzer::process(const Event& event) {
  const std::lock_guard lock(engine_mutex_);
  engine_.process(event);
}

void Analyzer::start() {
  bool expected = false;
  if (!running_.compare_exchange_strong(expected, true)) return;
  thread_ = std::thread([this] { run(); });
}

void Analyzer::stop() {
  bool expected = true;
  if (!running_.compare_exchange_strong(expected, false)) return;
  { const std::lock_guard lock(wake_mutex_); }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  const TimePoint now = Clock::now();
  drain(now);  // what producers pushed before they saw the analyzer stop
  const std::lock_guard lock(engine_mutex_);
  engine_.flush(now);
}

void Analyzer::run() {
  TimePoint last_tick = Clock::now();
  while (running_.load(std::memory_order_acquire)) {
    // Bounded batches keep the lock short so API snapshots are not starved.
    const std::size_t n = drain_locked(4096);
    const TimePoint now = Clock::now();
    if (now - last_tick >= tick_interval_) {
      const std::lock_guard lock(engine_mutex_);
      engine_.tick(now);
      last_tick = now;
    }
    if (n == 0) {
      std::unique_lock lock(wake_mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(2),
                     [this] { return !running_.load(std::memory_order_acquire); });
    }
  }
}

void Analyzer::set_finding_sink(std::function<void(const Finding&, const FindingGroup&)> sink) {
  const std::lock_guard lock(engine_mutex_);
  engine_.set_finding_sink(std::move(sink));
}

std::vector<RequestSummary> Analyzer::requests(std::size_t limit) const {
  const std::lock_guard lock(engine_mutex_);
  return engine_.requests(limit);
}

std::optional<RequestSummary> Analyzer::request(const std::string& id) const {
  const std::lock_guard lock(engine_mutex_);
  return engine_.request(id);
}

std::vector<FindingGroup> Analyzer::findings() const {
  const std::lock_guard lock(engine_mutex_);
  return engine_.findings();
}

std::vector<FingerprintStat> Analyzer::fingerprints() const {
  const std::lock_guard lock(engine_mutex_);
  return engine_.fingerprints();
}

std::vector<ConnectionView> Analyzer::connections() const {
  const std::lock_guard lock(engine_mutex_);
  return engine_.connections();
}

AnalyzerCounters Analyzer::counters() const {
  AnalyzerCounters c;
  {
    const std::lock_guard lock(engine_mutex_);
    c = engine_.counters();
  }
  const std::lock_guard lock(rings_mutex_);
  for (const auto& r : rings_) {
    c.ring_dropped_full += r->drops(DropReason::ring_full);
    c.ring_dropped_stopped += r->drops(DropReason::stopped);
    c.ring_dropped_producer += r->drops(DropReason::producer);
  }
  return c;
}

nlohmann::json Analyzer::pool_json(const ClockAnchor& clock) const {
  const std::lock_guard lock(engine_mutex_);
  return engine_.pool_json(clock);
}

void Analyzer::write_metrics(Exposition& out) const {
  const AnalyzerCounters c = counters();
  std::size_t queued = 0;
  {
    const std::lock_guard lock(rings_mutex_);
    for (const auto& r : rings_)
      queued += r->size_approx();
  }
  auto count = [](std::uint64_t v) { return static_cast<double>(v); };
  out.begin(Metric::analyzer_events);
  out.sample({}, count(c.events));
  out.begin(Metric::analyzer_events_dropped);
  out.sample({"ring_full"}, count(c.ring_dropped_full));
  out.sample({"stopped"}, count(c.ring_dropped_stopped));
  out.sample({"producer"}, count(c.ring_dropped_producer));
  out.begin(Metric::analyzer_ledger_dropped);
  out.sample({}, count(c.ledger_dropped));
  out.begin(Metric::analyzer_queued_events);
  out.sample({}, static_cast<double>(queued));
  out.begin(Metric::analyzer_lag_seconds);
  out.sample({}, static_cast<double>(lag_ns_.load(std::memory_order_relaxed)) / 1e9);
  out.begin(Metric::analyzer_live_requests);
  out.sample({}, count(c.live_requests));
  out.begin(Metric::analyzer_units_cut);
  out.sample({}, count(c.requests_cut));
  out.begin(Metric::analyzer_value_links);
  out.sample({}, count(c.value_links));
  out.begin(Metric::analyzer_link_offers);
  out.sample({}, count(c.link_offers));
  out.begin(Metric::fingerprint_cache_lookups);
  out.sample({"hit"}, count(c.fingerprint_cache_hits));
  out.sample({"miss"}, count(c.fingerprint_cache_misses));
  out.begin(Metric::fingerprint_parse_failures);
  out.sample({}, count(c.fingerprint_parse_failures));
  const std::lock_guard lock(engine_mutex_);
  engine_.write_metrics(out);
}

}  // namespace pgtally::analyzer
