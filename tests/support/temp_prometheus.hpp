// A throwaway Prometheus (Debian's /usr/bin/prometheus) for tests: writes its prometheus.yml
// (1 s scrape and evaluation, the given targets and rule files), keeps its TSDB in a temporary
// directory, starts on a free loopback port and is ready once /-/ready answers. Queries go
// through its HTTP API; stopped with SIGTERM by stop() or the destructor.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/subprocess.hpp"

namespace pgtally::testing {

// One scrape job: every target gets `job` and, by Prometheus' default, `instance` = its
// address; `/metrics` is the path.
struct ScrapeJob {
  std::string job;
  std::vector<std::string> targets;  // host:port
};

struct PrometheusOptions {
  std::vector<ScrapeJob> jobs;
  std::vector<std::filesystem::path> rule_files;
  std::chrono::milliseconds ready_deadline{std::chrono::seconds(60)};
};

// What /api/v1/query answered: `ok` with its result vector, or the error Prometheus gave.
struct QueryAnswer {
  bool ok = false;
  nlohmann::json result = nlohmann::json::array();  // data.result
  std::string error;                                // when !ok
};

class TempPrometheus {
 public:
  // Starts Prometheus and waits (polling /-/ready) until it serves; throws std::runtime_error
  // with its output when it does not come up within options.ready_deadline.
  TempPrometheus(const std::filesystem::path& dir, const PrometheusOptions& options);
  ~TempPrometheus();
  TempPrometheus(const TempPrometheus&) = delete;
  TempPrometheus& operator=(const TempPrometheus&) = delete;
  TempPrometheus(TempPrometheus&&) = delete;
  TempPrometheus& operator=(TempPrometheus&&) = delete;

  [[nodiscard]] std::string address() const;  // 127.0.0.1:port
  // An instant query at the current time.
  [[nodiscard]] QueryAnswer query(const std::string& promql) const;
  // The first sample's value, when the query returned one.
  [[nodiscard]] std::optional<double> value(const std::string& promql) const;
  // Values of `label` over the series `match` selects (/api/v1/label/<label>/values; empty
  // `match`: every series), sorted.
  [[nodiscard]] std::vector<std::string> label_values(const std::string& label,
                                                      const std::string& match) const;
  // data.alerts of /api/v1/alerts (pending and firing), and data.groups of /api/v1/rules.
  [[nodiscard]] nlohmann::json alerts() const;
  [[nodiscard]] nlohmann::json rule_groups() const;
  // SIGTERM, then waits for the exit; returns whether it exited in time.
  bool stop(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  [[nodiscard]] std::string output() const { return process_->output(); }

 private:
  [[nodiscard]] nlohmann::json get(const std::string& target) const;

  std::uint16_t port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
  bool stopped_ = false;
};

// Percent-encodes everything but letters and digits, for a query string.
std::string url_encode(const std::string& text);

}  // namespace pgtally::testing
