// The dashboard reader and Grafana's substitution, without Prometheus: every shipped dashboard
// reads, each of its queries is substituted without an unknown variable, and the escapes match
// what Grafana's Prometheus data source sends.
#include "tests/dashboards/dashboard_queries.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;

DashboardVariable multi_all(const std::string& name) {
  return DashboardVariable{name, "query", "", true, true, ".*"};
}

TEST(DashboardQueries, EveryShippedDashboardReadsAndSubstitutesCompletely) {
  std::size_t dashboards = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(PGTALLY_SOURCE_DIR) / "dashboards")) {
    if (entry.path().extension() != ".json") continue;
    ++dashboards;
    const Dashboard d = read_dashboard(entry.path());
    EXPECT_FALSE(d.queries.empty()) << d.file;
    std::map<std::string, Selection> all;
    for (const auto& v : d.variables)
      all[v.name] = Selection{true, {}};
    for (const auto& q : d.queries) {
      const auto s = substitute(q.expr, d.variables, all, TimeSettings{});
      EXPECT_TRUE(s.unknown.empty()) << d.file << " \"" << q.panel << "\": " << s.unknown.front();
      EXPECT_EQ(s.text.find('$'), std::string::npos) << d.file << " \"" << q.panel << "\"";
    }
  }
  EXPECT_EQ(dashboards, 3U);
}

TEST(DashboardQueries, AllWithACustomAllValueIsThatValueRaw) {
  const std::vector<DashboardVariable> vars = {multi_all("job")};
  const auto s = substitute(R"(up{job=~"$job"})", vars, {{"job", Selection{true, {"a.b"}}}}, {});
  EXPECT_EQ(s.text, R"(up{job=~".*"})");
}

TEST(DashboardQueries, MultiValuesBecomeAnEscapedAlternation) {
  const std::vector<DashboardVariable> vars = {multi_all("route")};
  const auto s = substitute(R"(x{route=~"$route"})", vars,
                            {{"route", Selection{false, {"/users/{id}/orders", "/search"}}}}, {});
  EXPECT_EQ(s.text, R"q(x{route=~"(/users/\\{id\\}/orders|/search)"})q");
  const auto one = substitute(R"(x{instance=~"${instance}"})", {multi_all("instance")},
                              {{"instance", Selection{false, {"127.0.0.1:9"}}}}, {});
  EXPECT_EQ(one.text, R"(x{instance=~"127\\.0\\.0\\.1:9"})");
}

TEST(DashboardQueries, ASingleValueVariableIsOnlyQuoteEscaped) {
  const std::vector<DashboardVariable> vars = {
      DashboardVariable{"group", "custom", "", false, false, std::nullopt}};
  const auto s =
      substitute("x{group=\"[[group]]\"}", vars, {{"group", Selection{false, {"a.b\\c"}}}}, {});
  EXPECT_EQ(s.text, R"(x{group="a.b\\c"})");
}

TEST(DashboardQueries, BuiltInIntervalsFollowTheScrapeIntervalAndTheRange) {
  TimeSettings time;
  time.range = std::chrono::seconds(300);
  time.scrape_interval = std::chrono::seconds(1);
  time.max_data_points = 1000;
  const auto s =
      substitute("rate(x[$__rate_interval]) $__interval increase(x[$__range])", {}, {}, time);
  EXPECT_EQ(s.text, "rate(x[4s]) 1s increase(x[300s])");
  // 4 h over 1000 points is 14.4 s, below the 15 s scrape interval: 4 scrapes win.
  time.range = std::chrono::seconds(3600 * 4);
  time.scrape_interval = std::chrono::seconds(15);
  EXPECT_EQ(substitute("[$__rate_interval] [$__interval]", {}, {}, time).text, "[60s] [15s]");
}

TEST(DashboardQueries, UnknownVariablesAndFormatsAreReported) {
  const auto s = substitute(R"(x{a="$nope", b="${job:csv}"})", {multi_all("job")},
                            {{"job", Selection{true, {}}}}, {});
  EXPECT_EQ(s.unknown, (std::vector<std::string>{"nope", "job:csv"}));
}

TEST(DashboardQueries, LabelValuesQueriesParse) {
  const auto q = parse_label_values(
      R"(label_values(pgtally_requests_total{job=~"$job",instance=~"$instance"}, route))");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->match, R"(pgtally_requests_total{job=~"$job",instance=~"$instance"})");
  EXPECT_EQ(q->label, "route");
  const auto bare = parse_label_values("label_values(job)");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->match, "");
  EXPECT_EQ(bare->label, "job");
  EXPECT_FALSE(parse_label_values("query_result(up)").has_value());
  EXPECT_FALSE(parse_label_values("label_values(up, )").has_value());
}

TEST(DashboardQueries, ABrokenDashboardIsAnErrorNamingTheFile) {
  const fs::path path = fs::temp_directory_path() /
                        ("pgtally-broken-dashboard-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path)
      << R"({"title": "x", "panels": [{"title": "p", "targets": [{"refId": "A"}]}]})";
  try {
    (void)read_dashboard(path);
    ADD_FAILURE() << "a target without expr was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("\"p\""), std::string::npos) << e.what();
  }
  std::ofstream(path) << "not json";
  EXPECT_THROW((void)read_dashboard(path), std::runtime_error);
  fs::remove(path);
}

}  // namespace
}  // namespace pgtally::testing
