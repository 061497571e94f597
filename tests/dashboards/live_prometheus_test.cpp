// The dashboards and rules against a real Prometheus scraping real pgtally instances: the
// storefront sample runs through a pgtally (analysis on, detector thresholds lowered to
// fractions of a second) under load with its traps, a second pgtally with max_client_conn 1
// refuses a client every second, and Prometheus evaluates the shipped rules rendered with time
// compressed 60 times (render.sh 60). Every panel query of every dashboard, substituted as
// Grafana would, must return data; the alerts this traffic causes must fire and the others
// must stay silent; every rule must evaluate.
#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orm/storefront/service/load_driver.hpp"
#include "orm/storefront/service/service.hpp"
#include "proxy/analysis.hpp"
#include "proxy/http_service.hpp"
#include "proxy/logging.hpp"
#include "tests/dashboards/dashboard_queries.hpp"
#include "tests/dashboards/live_workload.hpp"
#include "tests/dashboards/panel_check.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_prometheus.hpp"

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kJob = "storefront";
constexpr std::string_view kDatabase = "storefront_live";
constexpr std::string_view kLimitedRole = "live_limited";
constexpr auto kPollDeadline = std::chrono::seconds(120);

// A pgtally in process with analysis and its HTTP listener on a free port.
class LivePgtally {
 public:
  explicit LivePgtally(const Config& config)
      : analysis_(config),
        proxy_(config, analysis_.observers()),
        http_(start_http(config, proxy_.proxy(), &analysis_.analyzer())) {}
  ~LivePgtally() {
    http_->stop();
    analysis_.stop();
  }
  LivePgtally(const LivePgtally&) = delete;
  LivePgtally& operator=(const LivePgtally&) = delete;
  LivePgtally(LivePgtally&&) = delete;
  LivePgtally& operator=(LivePgtally&&) = delete;

  // Also the `instance` label Prometheus gives its series.
  [[nodiscard]] std::string metrics_address() const {
    return fmt::format("127.0.0.1:{}", http_->endpoint().port());
  }
  [[nodiscard]] std::string conninfo(std::string_view user, std::string_view extra = "") const {
    return proxy_.conninfo(user, extra);
  }

 private:
  Analysis analysis_;
  RunningProxy proxy_;
  std::unique_ptr<HttpServer> http_;
};

// Thresholds in fractions of a second, so that a few seconds of traffic raise every finding.
Config live_config(std::uint32_t server_max_connections) {
  Config config = proxy_config();
  config.http = "127.0.0.1:0";
  config.findings_log = "off";
  config.threads = 2;
  config.server_max_connections = server_max_connections;
  config.detectors.idle_in_transaction_ms = 300;
  config.detectors.saturation_window_ms = 1000;
  config.detectors.churn_connections = 5;
  config.detectors.churn_window_ms = 3000;
  return config;
}

// The dashboards' own time range ("now-1h"), with the 1 s scrape interval of this Prometheus.
TimeSettings grafana_time() {
  TimeSettings time;
  time.range = std::chrono::hours(1);
  time.scrape_interval = std::chrono::seconds(1);
  time.max_data_points = 1000;
  return time;
}

std::string label(const json& alert, const std::string& name) {
  return alert["labels"].value(name, "");
}

std::string describe_alerts(const json& alerts) {
  std::string text;
  for (const auto& a : alerts)
    text += fmt::format("  {} {}\n", a.value("state", "?"), a["labels"].dump());
  return text.empty() ? "  (no alert pending or firing)\n" : text;
}

// An alert the workload must cause: its name and the labels that say where.
struct ExpectedAlert {
  std::string name;
  std::map<std::string, std::string> labels;  // exact values
  std::string group_contains;                 // for pool alerts: the storefront's client group
  std::string why;
};

bool firing(const json& alerts, const ExpectedAlert& e) {
  for (const auto& a : alerts) {
    if (a.value("state", "") != "firing" || label(a, "alertname") != e.name) continue;
    bool match = true;
    for (const auto& [k, v] : e.labels)
      match = match && label(a, k) == v;
    if (!e.group_contains.empty()) {
      match = match && label(a, "group").find(e.group_contains) != std::string::npos;
    }
    if (match) return true;
  }
  return false;
}

TEST(DashboardsLive, EveryPanelHasDataTheWorkloadsAlertsFireTheOthersStaySilent) {
  setup_logging("", "error");
  const fs::path dir = fs::temp_directory_path() / fmt::format("pgtally-live-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);

  auto direct = connect_ok(postgres().conninfo(kTrustUser));
  const auto max_connections =
      static_cast<std::uint32_t>(std::stoul(scalar(direct.get(), "SHOW max_connections")));
  postgres().psql(fmt::format("DROP DATABASE IF EXISTS {}", kDatabase));
  postgres().psql(fmt::format("CREATE DATABASE {} OWNER {}", kDatabase, kTrustUser));
  postgres().psql(
      fmt::format("DROP ROLE IF EXISTS {0}; CREATE ROLE {0} LOGIN CONNECTION LIMIT 1 "
                  "PASSWORD '{0}'",
                  kLimitedRole));

  // The storefront's pgtally, and a second one of the same job that admits one client only.
  LivePgtally pgtally(live_config(max_connections));
  Config one_client = live_config(max_connections);
  one_client.max_client_conn = 1;
  one_client.threads = 1;
  LivePgtally limited(one_client);

  const ProcessResult rendered =
      run_process({"bash", std::string(PGTALLY_SOURCE_DIR) + "/dashboards/rules/render.sh", "60",
                   (dir / "rules").string()});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.output;
  PrometheusOptions prometheus_options;
  prometheus_options.jobs = {
      ScrapeJob{std::string(kJob), {pgtally.metrics_address(), limited.metrics_address()}}};
  prometheus_options.rule_files = {dir / "rules" / "pgtally-recording.yml",
                                   dir / "rules" / "pgtally-alerts.yml"};
  TempPrometheus prometheus(dir / "prometheus", prometheus_options);
  ASSERT_TRUE(eventually(
      [&] { return prometheus.value(fmt::format(R"(sum(up{{job="{}"}}))", kJob)) == 2.0; },
      kPollDeadline))
      << prometheus.output();

  // One-off traffic for the panels by SQLSTATE and by cancel origin: a division by zero, a
  // statement the parser rejects, and a query cancelled while it runs.
  auto client = connect_ok(pgtally.conninfo(kTrustUser));
  for (const char* bad : {"SELECT 1/0", "SELEKT 1"}) {
    Result r(PQexec(client.get(), bad), &PQclear);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR) << bad;
  }
  ASSERT_EQ(PQsendQuery(client.get(), "SELECT pg_sleep(60) /* live-cancel */"), 1);
  ASSERT_TRUE(eventually([&] {
    return scalar(direct.get(),
                  "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                  "'%pg_sleep(60) /* live-cancel */%' AND pid <> pg_backend_pid()") == "1";
  }));
  {
    std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel(PQgetCancel(client.get()),
                                                              &PQfreeCancel);
    std::array<char, 256> error{};
    ASSERT_EQ(PQcancel(cancel.get(), error.data(), static_cast<int>(error.size())), 1)
        << error.data();
  }
  Result cancelled(PQgetResult(client.get()), &PQclear);
  ASSERT_STREQ(PQresultErrorField(cancelled.get(), PG_DIAG_SQLSTATE), "57014");
  while (PGresult* rest = PQgetResult(client.get()))
    PQclear(rest);

  // The storefront: a pool of 2 under 6 concurrent requests, slow checkouts holding their
  // transaction idle twice as long as pgtally's threshold.
  auto options = storefront::ServiceOptions{};
  options.listen = {"127.0.0.1", 0};
  options.database = pgtally.conninfo(kTrustUser, fmt::format("dbname={}", kDatabase));
  options.pool_max = 2;
  options.acquire_timeout = std::chrono::seconds(30);
  options.threads = 16;
  options.migrate = true;
  options.idle_in_transaction = std::chrono::milliseconds(600);
  auto service = std::make_unique<storefront::Service>(options);
  service->start();

  LiveWorkloadOptions workload_options;
  workload_options.service = service->bound();
  workload_options.mix = storefront::parse_mix(
      "products=3,categories=2,products-eager=1,categories-eager=1,users-orders=1,search=1,"
      "slow-checkout=4");
  workload_options.concurrency = 6;
  workload_options.limited_role_conninfo = pgtally.conninfo(kLimitedRole);
  workload_options.client_limit_conninfo = limited.conninfo(kTrustUser);
  LiveWorkload workload(workload_options);
  const auto load_started = std::chrono::steady_clock::now();
  const auto seconds_since_load = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - load_started).count();
  };

  std::vector<Dashboard> dashboards;
  for (const char* file : {"pgtally-overview.json", "pgtally-pool.json", "pgtally-self.json"})
    dashboards.push_back(read_dashboard(fs::path(PGTALLY_SOURCE_DIR) / "dashboards" / file));

  // Every panel returns data, with the variables at All (the dashboards' default) and with
  // every value listed (Grafana's escaped alternation).
  PanelCheck with_all;
  PanelCheck with_values;
  const bool panels_have_data = eventually(
      [&] {
        with_all = check_panels(prometheus, dashboards, VariableSelection::all, grafana_time());
        with_values =
            check_panels(prometheus, dashboards, VariableSelection::every_value, grafana_time());
        return with_all.all_have_data() && with_values.all_have_data();
      },
      kPollDeadline);
  EXPECT_TRUE(panels_have_data) << "panels still empty after " << kPollDeadline.count()
                                << " s:\nvariables at All:\n"
                                << with_all.describe() << "every value selected:\n"
                                << with_values.describe();
  EXPECT_GT(with_all.panels.size(), 40U) << "the dashboards hold fewer queries than expected";
  const double panels_after = seconds_since_load();

  // The alerts this workload must cause, each decided from its expression.
  const std::string main_instance = pgtally.metrics_address();
  const std::vector<ExpectedAlert> expected = {
      // The lazy pages run one lookup per listed row: N+1 findings on their routes.
      {"PgtallyNPlusOneOnRoute", {{"route", "/products"}}, "", "lazy products page"},
      {"PgtallyNPlusOneOnRoute", {{"route", "/categories"}}, "", "lazy categories page"},
      // Both pooled connections are busy (slow checkouts hold transactions) nearly always.
      {"PgtallyPoolSaturated",
       {{"instance", main_instance}},
       std::string(kDatabase),
       "pool of 2, 6 concurrent requests"},
      // Each slow checkout sits idle in its transaction for 600 ms, over the 300 ms threshold.
      {"PgtallyIdleInTransaction",
       {{"instance", main_instance}},
       std::string(kDatabase),
       "slow checkout"},
      // Every trap round opens the limited role a second time: the server says 53300.
      {"PgtallyConnectionsRefused",
       {{"instance", main_instance}, {"refused_by", "server"}},
       "",
       "CONNECTION LIMIT 1 role"},
      // ... and a second client on the pgtally with max_client_conn 1: pgtally says 53300.
      {"PgtallyConnectionsRefused",
       {{"instance", limited.metrics_address()}, {"refused_by", "pgtally"}},
       "",
       "max_client_conn 1"},
  };
  json alerts;
  const bool all_fired = eventually(
      [&] {
        alerts = prometheus.alerts();
        return std::all_of(expected.begin(), expected.end(),
                           [&](const ExpectedAlert& e) { return firing(alerts, e); });
      },
      kPollDeadline);
  const double alerts_after = seconds_since_load();
  std::string missing;
  for (const auto& e : expected) {
    if (!firing(alerts, e))
      missing += fmt::format("  {} {} ({})\n", e.name, json(e.labels).dump(), e.why);
  }
  EXPECT_TRUE(all_fired) << "not firing:\n"
                         << missing << "alerts now:\n"
                         << describe_alerts(alerts);

  // Silent under this workload, pending included:
  // - the fleet holds a handful of the server's max_connections, far from 90%;
  // - PostgreSQL is up the whole time, so no session fails to reach it;
  // - the analyzer keeps up with this load (16k-event rings), so no event is dropped.
  const std::set<std::string> quiet = {"PgtallyServerConnectionsNearLimit",
                                       "PgtallyUpstreamUnreachable", "PgtallyDroppingEvents"};
  // The pages that load with includes (or one query) raise no N+1 on their routes.
  const std::set<std::string> quiet_routes = {"/products-eager", "/categories-eager",
                                              "/users/{id}/orders"};
  alerts = prometheus.alerts();
  for (const auto& a : alerts) {
    EXPECT_FALSE(quiet.count(label(a, "alertname")) > 0)
        << a.value("state", "") << " " << a["labels"].dump() << "\nalerts now:\n"
        << describe_alerts(alerts);
    EXPECT_FALSE(label(a, "alertname") == "PgtallyNPlusOneOnRoute" &&
                 quiet_routes.count(label(a, "route")) > 0)
        << a.value("state", "") << " " << a["labels"].dump();
  }
  // Silent for the reasons given, not for want of data.
  const auto share = prometheus.value("max(job:pgtally_pool_connections:ratio_max_connections)");
  ASSERT_TRUE(share.has_value());
  EXPECT_GT(*share, 0.0);
  EXPECT_LT(*share, 0.9);
  EXPECT_EQ(prometheus.value("sum(pgtally_upstream_connect_failures_total)"), 0.0);
  EXPECT_EQ(prometheus.value("sum(pgtally_analyzer_events_dropped_total)"), 0.0);
  EXPECT_GT(prometheus.value("sum(pgtally_analyzer_events_total)").value_or(0), 0.0);

  // Every recording and alerting rule evaluates without error (health ok once evaluated).
  json groups;
  const bool evaluated = eventually([&] {
    groups = prometheus.rule_groups();
    if (groups.empty()) return false;
    for (const auto& g : groups) {
      for (const auto& r : g["rules"])
        if (r.value("health", "") == "unknown") return false;
    }
    return true;
  });
  EXPECT_TRUE(evaluated) << groups.dump(2);
  std::size_t rules = 0;
  for (const auto& g : groups) {
    for (const auto& r : g["rules"]) {
      ++rules;
      EXPECT_EQ(r.value("health", ""), "ok")
          << g.value("name", "") << "/" << r.value("name", "") << ": " << r.value("lastError", "");
    }
  }
  EXPECT_EQ(rules, 26U) << "7 alerts and 19 recording rules";
  // ... and each recording rule writes a series under its name.
  std::vector<std::string> recorded;
  for (const auto& g : groups) {
    for (const auto& r : g["rules"])
      if (r.value("type", "") == "recording") recorded.push_back(r.value("name", ""));
  }
  std::string unrecorded;
  const bool all_recorded = eventually([&] {
    unrecorded.clear();
    for (const auto& name : recorded) {
      const auto answer = prometheus.query(name);
      if (!answer.ok || answer.result.empty()) unrecorded += "  " + name + "\n";
    }
    return unrecorded.empty();
  });
  EXPECT_TRUE(all_recorded) << "recording rules without a series:\n" << unrecorded;
  EXPECT_EQ(recorded.size(), 19U);

  // The triggers were real: each counter moved for the reason the test caused.
  EXPECT_GE(prometheus.value(R"(sum(pgtally_query_errors_total{sqlstate="22012"}))").value_or(0),
            1);
  EXPECT_GE(prometheus.value(R"(sum(pgtally_query_errors_total{sqlstate="57014"}))").value_or(0),
            1);
  EXPECT_GE(prometheus.value(R"(sum(pgtally_cancel_requests_total{origin="client"}))").value_or(0),
            1);
  EXPECT_GE(prometheus.value(R"(sum(pgtally_fingerprint_parse_failures_total))").value_or(0), 1);
  EXPECT_GE(prometheus.value(R"(sum(pgtally_client_connections_refused_total))").value_or(0), 1);

  workload.stop();
  const LiveTally tally = workload.tally();
  // For the record (not asserted: the machine's speed varies).
  fmt::print(
      "live: {} panel queries x 2 selections with data after {:.1f} s of load, {} alerts "
      "firing after {:.1f} s; {} storefront requests, {} server and {} pgtally refusals\n",
      with_all.panels.size(), panels_after, expected.size(), alerts_after, tally.load_requests,
      tally.server_refusals, tally.pgtally_refusals);
  EXPECT_GT(tally.load_requests, 0U);
  EXPECT_EQ(tally.load_errors, 0U) << fmt::format("{}", fmt::join(tally.load_error_samples, "\n"));
  EXPECT_GT(tally.server_refusals, 0U);
  EXPECT_GT(tally.pgtally_refusals, 0U);
  EXPECT_GT(tally.reports, 0U);
  EXPECT_TRUE(tally.unexpected.empty()) << fmt::format("{}", fmt::join(tally.unexpected, "\n"));
  service->stop();
  EXPECT_TRUE(prometheus.stop()) << "Prometheus did not exit on SIGTERM";
  client.reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace pgtally::testing
