#include "analyzer/analyzer.hpp"

#include <cstdint>
#include <utility>

namespace pgtally::analyzer {

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
  std::size_t n = 0;
  const std::lock_guard lock(engine_mutex_);
  for (EventRing* ring : rings) {
    for (std::size_t i = 0; i < max_per_ring; ++i) {
      std::optional<Event> e = ring->try_pop();
      if (!e) break;
      engine_.process(*e);
      ++n;
    }
  }
  return n;
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

}  // namespace pgtally::analyzer
