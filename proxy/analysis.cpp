#include "proxy/analysis.hpp"

#include <spdlog/spdlog.h>

#include "proxy/logging.hpp"

namespace pgtally {
namespace {
// Events a relay thread may queue ahead of the analyzer: about a third of a second at 50k
// statements/s, a few MB per thread (slots are preallocated).
constexpr std::size_t kRingCapacity = 16384;
}  // namespace

Analysis::Analysis(const Config& config) {
  analyzer::AnalyzerConfig settings;
  settings.value_sampling = config.value_sampling;
  settings.pool.server_max_connections = config.server_max_connections;
  const DetectorSettings& d = config.detectors;
  using std::chrono::milliseconds;
  settings.request_idle_timeout = milliseconds(d.request_idle_timeout_ms);
  settings.attribution.idle_gap = milliseconds(d.idle_gap_ms);
  settings.attribution.links.window = milliseconds(d.link_window_ms);
  settings.attribution.ignore_tags = config.ignore_tags;
  settings.patterns.n_plus_one_threshold = d.n_plus_one_threshold;
  settings.pool.saturation_window = milliseconds(d.saturation_window_ms);
  settings.pool.idle_in_transaction = milliseconds(d.idle_in_transaction_ms);
  settings.pool.churn_connections = d.churn_connections;
  settings.pool.churn_window = milliseconds(d.churn_window_ms);
  analyzer_ = std::make_unique<analyzer::Analyzer>(settings);
  std::vector<EventSink*> sinks;
  for (unsigned i = 0; i < config.threads; ++i) {
    sinks_.push_back(std::make_unique<RingSink>(analyzer_->add_producer(kRingCapacity)));
    sinks.push_back(sinks_.back().get());
  }
  observers_ = std::make_shared<AssemblingObserverFactory>(
      std::move(sinks), config.value_sampling ? &analyzer_->hasher() : nullptr);
  const analyzer::ClockAnchor clock{analyzer::Clock::now(), std::chrono::system_clock::now()};
  // Findings log: one JSON line each; literal-free by construction (normalized text only).
  setup_findings_log(config.findings_log);
  analyzer_->set_finding_sink(
      [clock](const analyzer::Finding& finding, const analyzer::FindingGroup& group) {
        auto line = analyzer::to_json(finding, clock);
        line["group"] = group.id;
        log_finding(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        spdlog::info("event=finding kind={} group={}", analyzer::to_string(finding.kind), group.id);
      });
  analyzer_->start();
}

Analysis::~Analysis() {
  stop();
}

void Analysis::stop() {
  if (analyzer_->running()) analyzer_->stop();
}

}  // namespace pgtally
