#include "tests/support/temp_prometheus.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "proxy/http_client.hpp"
#include "tests/support/free_port.hpp"

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr auto kReadyPoll = std::chrono::milliseconds(100);

std::string config_text(const PrometheusOptions& options) {
  std::string text =
      "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n";
  if (!options.rule_files.empty()) {
    text += "rule_files:\n";
    for (const auto& file : options.rule_files)
      text += fmt::format("  - '{}'\n", file.string());
  }
  text += "scrape_configs:\n";
  for (const ScrapeJob& job : options.jobs) {
    text += fmt::format("  - job_name: '{}'\n    static_configs:\n      - targets: [", job.job);
    for (std::size_t i = 0; i < job.targets.size(); ++i)
      text += fmt::format("{}'{}'", i == 0 ? "" : ", ", job.targets[i]);
    text += "]\n";
  }
  return text;
}

}  // namespace

std::string url_encode(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) != 0 ? std::string(1, c) : fmt::format("%{:02X}", u);
  }
  return out;
}

TempPrometheus::TempPrometheus(const fs::path& dir, const PrometheusOptions& options) {
  fs::create_directories(dir / "data");
  const fs::path config = dir / "prometheus.yml";
  std::ofstream(config) << config_text(options);
  port_ = free_tcp_port();
  process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      "/usr/bin/prometheus", "--config.file=" + config.string(),
      "--storage.tsdb.path=" + (dir / "data").string(),
      fmt::format("--web.listen-address=127.0.0.1:{}", port_), "--log.level=warn"});
  const auto deadline = std::chrono::steady_clock::now() + options.ready_deadline;
  while (true) {
    const auto r = http_get(address(), "/-/ready", "", std::chrono::seconds(2));
    if (r.reached && r.status == 200) return;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(fmt::format("Prometheus on {} not ready within {} s: {}", address(),
                                           options.ready_deadline.count() / 1000, output()));
    }
    std::this_thread::sleep_for(kReadyPoll);
  }
}

TempPrometheus::~TempPrometheus() {
  stop();
}

std::string TempPrometheus::address() const {
  return fmt::format("127.0.0.1:{}", port_);
}

json TempPrometheus::get(const std::string& target) const {
  const auto r = http_get(address(), target, "", kRequestTimeout);
  if (!r.reached) return json{{"status", "error"}, {"error", "no answer: " + r.error}};
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded()) {
    return json{{"status", "error"}, {"error", fmt::format("HTTP {}: {}", r.status, r.body)}};
  }
  return body;
}

QueryAnswer TempPrometheus::query(const std::string& promql) const {
  const json body = get("/api/v1/query?query=" + url_encode(promql));
  QueryAnswer answer;
  if (body.value("status", "") != "success") {
    answer.error = body.value("error", body.dump());
    return answer;
  }
  answer.ok = true;
  const json& data = body["data"];
  if (data.value("resultType", "") == "vector" || data.value("resultType", "") == "matrix") {
    answer.result = data["result"];
  } else if (data.contains("result")) {
    answer.result = json::array({json{{"metric", json::object()}, {"value", data["result"]}}});
  }
  return answer;
}

std::optional<double> TempPrometheus::value(const std::string& promql) const {
  const QueryAnswer a = query(promql);
  if (!a.ok || a.result.empty()) return std::nullopt;
  return std::stod(a.result[0]["value"][1].get<std::string>());
}

std::vector<std::string> TempPrometheus::label_values(const std::string& label,
                                                      const std::string& match) const {
  std::string target = fmt::format("/api/v1/label/{}/values", url_encode(label));
  if (!match.empty()) target += "?match[]=" + url_encode(match);
  const json body = get(target);
  std::vector<std::string> out;
  if (body.value("status", "") != "success") return out;
  for (const auto& v : body["data"])
    out.push_back(v.get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

json TempPrometheus::alerts() const {
  const json body = get("/api/v1/alerts");
  if (body.value("status", "") != "success") return json::array();
  return body["data"]["alerts"];
}

json TempPrometheus::rule_groups() const {
  const json body = get("/api/v1/rules");
  if (body.value("status", "") != "success") return json::array();
  return body["data"]["groups"];
}

bool TempPrometheus::stop(std::chrono::milliseconds deadline) {
  if (stopped_ || !process_) return true;
  stopped_ = true;
  process_->signal(SIGTERM);
  return process_->wait(deadline).has_value();
}

}  // namespace pgtally::testing
