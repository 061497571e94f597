// The analyzer as the proxy uses it: producers push events into their own bounded rings (never
// waiting), one analyzer thread drains them into the Engine and ticks it, and the HTTP API
// reads thread-safe snapshots. The ORM's in-process check may use the Engine directly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "analyzer/config.hpp"
#include "analyzer/engine.hpp"
#include "analyzer/event.hpp"
#include "analyzer/event_ring.hpp"
#include "analyzer/exposition.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/snapshots.hpp"
#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer {

class Analyzer {
 public:
  explicit Analyzer(AnalyzerConfig config = {},
                    std::chrono::milliseconds tick_interval = std::chrono::milliseconds(100));
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;
  Analyzer(Analyzer&&) = delete;
  Analyzer& operator=(Analyzer&&) = delete;

  // Producers hash Bind and DataRow values with this (random key per process).
  [[nodiscard]] const ValueHasher& hasher() const { return hasher_; }

  // One ring per producing thread (relay thread, ORM pool); it lives as long as the Analyzer.
  // Only that thread may push into it.
  EventRing& add_producer(std::size_t capacity = 1U << 16U);

  // Starts / stops the analyzer thread. stop() drains what is queued and flushes live requests.
  void start();
  void stop();

  // Producers check this before pushing; while stopped they count DropReason::stopped instead.
  [[nodiscard]] bool running() const { return running_.load(std::memory_order_acquire); }

  // Drains every ring on the calling thread, then ticks at `now`: for tests and tools that run
  // without the thread (deterministic); does nothing while the thread runs (a ring has one
  // consumer). Returns the number of events processed.
  std::size_t drain(TimePoint now);
  // Feeds one event directly (the calling thread must not race with the analyzer thread's use;
  // it takes the lock).
  void process(const Event& event);

  void set_finding_sink(std::function<void(const Finding&, const FindingGroup&)> sink);

  // Thread-safe snapshots for the HTTP API.
  [[nodiscard]] std::vector<RequestSummary> requests(std::size_t limit = 100) const;
  [[nodiscard]] std::optional<RequestSummary> request(const std::string& id) const;
  [[nodiscard]] std::vector<FindingGroup> findings() const;
  [[nodiscard]] std::vector<FingerprintStat> fingerprints() const;
  [[nodiscard]] std::vector<ConnectionView> connections() const;
  [[nodiscard]] AnalyzerCounters counters() const;
  // Pool load now and its recent history (/api/connections, the page).
  [[nodiscard]] nlohmann::json pool_json(const ClockAnchor& clock) const;
  // The analyzer's metric families (from `analyzer_events` on), in catalog order.
  void write_metrics(Exposition& out) const;

 private:
  std::size_t drain_locked(std::size_t max_per_ring);
  [[nodiscard]] std::uint64_t ring_drops() const;
  void run();

  ValueHasher hasher_;
  std::chrono::milliseconds tick_interval_;
  mutable std::mutex engine_mutex_;
  mutable Engine engine_;         // write_metrics() updates the top-K label sets
  std::vector<Event> batch_;      // one drain's events, merged by time (under engine_mutex_)
  std::uint64_t drops_seen_ = 0;  // ring drops already marked on requests (under engine_mutex_)
  TimePoint last_drain_{};
  std::atomic<std::int64_t> lag_ns_{0};
  mutable std::mutex rings_mutex_;  // guards the list of rings, not the rings
  std::vector<std::unique_ptr<EventRing>> rings_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace pgtally::analyzer
