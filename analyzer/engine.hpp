// The analyzer's single-threaded core: events in, ledgers, statistics and findings out.
// Deterministic (time comes from the events and from tick(now)); the Analyzer facade runs it
// on its thread behind a lock, and tests and the ORM's in-process check drive it directly.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/attribution.hpp"
#include "analyzer/config.hpp"
#include "analyzer/event.hpp"
#include "analyzer/exposition.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/fingerprint.hpp"
#include "analyzer/fingerprint_stats.hpp"
#include "analyzer/literal_scanner.hpp"
#include "analyzer/metrics_recorder.hpp"
#include "analyzer/pool_detector.hpp"
#include "analyzer/request_ledger.hpp"
#include "analyzer/snapshots.hpp"
#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer {

class Engine {
 public:
  // `hasher` hashes literals lifted from simple-protocol text; it must be the one producers
  // use for Bind and DataRow values, and outlive the engine.
  Engine(AnalyzerConfig config, const ValueHasher& hasher);

  void process(const Event& event);
  // Ends idle requests (their findings become final), runs the pool detector's timers.
  void tick(TimePoint now);
  // Ends every live request now (shutdown, end of a test).
  void flush(TimePoint now);

  // Called with each new finding occurrence (e.g. the JSON-lines findings log).
  void set_finding_sink(std::function<void(const Finding&, const FindingGroup&)> sink) {
    sink_ = std::move(sink);
  }

  [[nodiscard]] std::vector<RequestSummary> requests(std::size_t limit = 100) const;  // live first
  [[nodiscard]] std::optional<RequestSummary> request(const std::string& id) const;
  [[nodiscard]] std::vector<FindingGroup> findings() const { return findings_.snapshot(); }
  [[nodiscard]] std::vector<FingerprintStat> fingerprints() const { return stats_.snapshot(); }
  [[nodiscard]] std::vector<ConnectionView> connections() const { return pool_.connections(); }
  [[nodiscard]] AnalyzerCounters counters() const;
  [[nodiscard]] const AnalyzerConfig& config() const { return config_; }

  // Events were dropped before analysis since `since`: every live request, and every request
  // that ended at or after `since`, may miss some and is marked incomplete.
  void mark_events_lost(TimePoint since);
  // The families from `queries` on, in catalog order (the Analyzer writes the ones before).
  void write_metrics(Exposition& out);
  [[nodiscard]] nlohmann::json pool_json(const ClockAnchor& clock) const {
    return metrics_.pool_json(clock);
  }

 private:
  void on_query(const QueryEvent& e);
  RequestLedger& live_request(const std::string& id, Attribution how, ConnectionId connection);
  void finish(const std::string& id);
  [[nodiscard]] bool idle(const RequestLedger& l, TimePoint now) const;
  // Room for more live units: the least recently active sixteenth ends at once, so a full
  // table costs one pass per many new units, not one per unit (ticks may lag a busy stream).
  void make_room();
  void collect_pool_findings();
  // A tagged request whose connection is still inside a transaction it opened is not over.
  [[nodiscard]] bool holds_transaction(const RequestLedger& ledger) const;
  void record_finding(Finding f);
  const std::string* resolve_text(const QueryEvent& e);

  AnalyzerConfig config_;
  const ValueHasher& hasher_;
  Fingerprinter fingerprinter_;
  Attributor attributor_;
  PoolDetector pool_;
  FingerprintStats stats_;
  FindingStore findings_;
  std::unordered_map<std::string, RequestLedger> live_;
  TimePoint latest_{};  // the latest end of any statement seen
  std::deque<RequestSummary> finished_;
  std::unordered_map<ConnectionId, std::unordered_map<std::string, std::string>> prepared_;
  std::function<void(const Finding&, const FindingGroup&)> sink_;
  AnalyzerCounters counters_;
  MetricsRecorder metrics_;
  // Scratch reused across statements (no allocation per statement once warm).
  ScanResult scan_;
  std::vector<Parameter> lifted_;
  std::vector<ValueHash> link_keys_;
  std::string text_;
  const std::string invalid_sqlstate_{"invalid"};  // an error without a well-formed SQLSTATE
};

}  // namespace pgtally::analyzer
