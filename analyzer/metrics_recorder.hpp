// The analyzer's metric state: counters and histograms by statement kind, route, finding kind
// and client group, each label bounded to the first K values seen (kept until restart, so a
// series never resets under rate()), plus pool load sampled on every tick and a short history
// of it for the page. The engine feeds it; the Analyzer writes it into the exposition.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/event.hpp"
#include "analyzer/exposition.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/fingerprint_stats.hpp"
#include "analyzer/literal_scanner.hpp"
#include "analyzer/metrics_catalog.hpp"
#include "analyzer/pool_detector.hpp"
#include "analyzer/snapshots.hpp"

namespace pgtally::analyzer {

struct MetricsLimits {
  std::size_t routes = 50;
  std::size_t groups = 20;
  std::size_t fingerprints = 100;
  std::size_t sqlstates = 30;
  std::size_t history_samples = 600;  // pool load, one a second: ten minutes
  std::size_t history_groups = 8;     // the busiest groups in each sample
};

// Maps label values to themselves while fewer than K distinct values were seen, else "other".
class BoundedLabels {
 public:
  explicit BoundedLabels(std::size_t k) : k_(k) {}
  [[nodiscard]] std::string_view map(std::string_view value);

 private:
  std::size_t k_;
  std::map<std::string, bool, std::less<>> kept_;
};

struct Histogram {
  std::vector<std::uint64_t> counts;  // per bucket, the last is +Inf
  double sum = 0;
  explicit Histogram(std::span<const double> bounds) : counts(bounds.size() + 1, 0) {}
  void observe(double value, std::span<const double> bounds);
};

struct PoolSample {
  TimePoint at;
  std::vector<GroupLoad> groups;
};

class MetricsRecorder {
 public:
  explicit MetricsRecorder(MetricsLimits limits = {});

  void on_query(StatementKind kind, double seconds, const std::string* sqlstate);
  void on_request_finished(const RequestSummary& request);
  void on_finding(const Finding& finding);
  void on_connection_opened(const ClientGroup& group);
  void on_refusal(Refuser refused_by);
  // Pool gauges, time at saturation and the history; called on every engine tick.
  void sample_pool(std::vector<GroupLoad> load, TimePoint now, std::uint32_t min_connections);

  // The families from `queries` to `server_refusals`, in catalog order.
  void write(Exposition& out, const FingerprintStats& stats, std::uint32_t server_max_connections);
  // Current load per group and the sampled history, for /api/connections and the page.
  [[nodiscard]] nlohmann::json pool_json(const ClockAnchor& clock) const;

 private:
  struct RouteSeries {
    std::array<std::uint64_t, 2> requests{};  // by Attribution
    Histogram queries{kQueryCountBuckets};
    Histogram db_seconds{kDurationBuckets};
  };
  struct GroupSeries {
    std::uint32_t open = 0;
    std::uint32_t busy = 0;
    std::uint32_t idle_in_transaction = 0;
    std::uint64_t opened = 0;
    double saturated_seconds = 0;
  };
  GroupSeries& group(std::string_view label);

  MetricsLimits limits_;
  std::array<std::uint64_t, 10> queries_{};  // by StatementKind
  std::vector<Histogram> durations_;         // by StatementKind
  BoundedLabels sqlstate_labels_;
  std::map<std::string, std::uint64_t, std::less<>> errors_;
  BoundedLabels route_labels_;
  std::map<std::string, RouteSeries, std::less<>> routes_;
  std::uint64_t incomplete_ = 0;
  std::map<std::pair<FindingKind, std::string>, std::uint64_t> findings_;       // by route
  std::map<std::pair<FindingKind, std::string>, std::uint64_t> pool_findings_;  // by group
  BoundedLabels group_labels_;
  std::map<std::string, GroupSeries, std::less<>> groups_;
  std::array<std::uint64_t, 2> refusals_{};  // by Refuser
  std::vector<Fingerprint> exported_fingerprints_;
  std::optional<TimePoint> last_sample_;
  std::deque<PoolSample> history_;
};

}  // namespace pgtally::analyzer
