// Findings out, end to end: real clients (libpq, pgjdbc) send N+1 traffic through pgtally with
// analysis on; the finding shows in the JSON API, the findings log and /metrics, with its
// parent query; the eager twin raises nothing. /metrics passes promtool and a real Prometheus
// scrapes it; secrets sent in queries appear nowhere; `pgtally expect` judges requests.
#include <libpq-fe.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "analyzer/metrics_catalog.hpp"
#include "proxy/analysis.hpp"
#include "proxy/http_client.hpp"
#include "proxy/http_service.hpp"
#include "proxy/logging.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_prometheus.hpp"

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tag(std::string_view sql, std::string_view request, std::string_view route) {
  if (request.empty()) return std::string(sql);
  return fmt::format("{} /*request_id='{}',route='{}'*/", sql, request, route);
}

// A pgtally with analysis and its HTTP listener, shared by the tests of this binary; each test
// uses its own tables, request ids and routes.
class Pgtally {
 public:
  Pgtally() : dir_(fs::temp_directory_path() / fmt::format("pgtally-findings-{}", ::getpid())) {
    fs::create_directories(dir_);
    setup_logging((dir_ / "pgtally.log").string(), "info");
    config_ = proxy_config();
    config_.http = "127.0.0.1:0";
    config_.findings_log = (dir_ / "findings.jsonl").string();
    analysis_ = std::make_unique<Analysis>(config_);
    proxy_ = std::make_unique<RunningProxy>(config_, analysis_->observers());
    http_ = start_http(config_, proxy_->proxy(), &analysis_->analyzer());
  }
  ~Pgtally() {
    http_->stop();
    proxy_.reset();
    analysis_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Pgtally(const Pgtally&) = delete;
  Pgtally& operator=(const Pgtally&) = delete;
  Pgtally(Pgtally&&) = delete;
  Pgtally& operator=(Pgtally&&) = delete;

  [[nodiscard]] std::string http_address() const {
    return fmt::format("127.0.0.1:{}", http_->endpoint().port());
  }
  [[nodiscard]] std::string get(const std::string& target, unsigned expect_status = 200) const {
    const auto r = http_get(http_address(), target, "", std::chrono::seconds(10));
    EXPECT_TRUE(r.reached) << r.error;
    EXPECT_EQ(r.status, expect_status) << target << ": " << r.body;
    return r.body;
  }
  [[nodiscard]] json get_json(const std::string& target) const { return json::parse(get(target)); }
  [[nodiscard]] std::string log() const {
    spdlog::default_logger()->flush();
    return read_file(dir_ / "pgtally.log");
  }
  [[nodiscard]] std::string findings_log() const { return read_file(dir_ / "findings.jsonl"); }
  [[nodiscard]] std::string conninfo() const { return proxy_->conninfo(); }
  [[nodiscard]] std::uint16_t port() const { return proxy_->port(); }
  analyzer::Analyzer& analyzer() { return analysis_->analyzer(); }
  [[nodiscard]] const fs::path& dir() const { return dir_; }

  // Waits until the analyzer has ended the request (its findings are final).
  bool finished(const std::string& id) {
    return eventually([&] {
      const auto r = analyzer().request(id);
      return r && r->finished;
    });
  }

 private:
  fs::path dir_;
  Config config_;
  std::unique_ptr<Analysis> analysis_;
  std::unique_ptr<RunningProxy> proxy_;
  std::unique_ptr<HttpServer> http_;
};

Pgtally& pgtally() {
  static Pgtally instance;
  return instance;
}

// Creates `prefix`_categories (10) and `prefix`_products (50) directly on the server.
void create_catalog(const std::string& prefix) {
  auto conn = connect_ok(postgres().conninfo(kTrustUser));
  rows(conn.get(),
       fmt::format("DROP TABLE IF EXISTS {0}_products, {0}_categories;"
                   "CREATE TABLE {0}_categories (id bigint PRIMARY KEY, name text NOT NULL);"
                   "CREATE TABLE {0}_products (id bigint PRIMARY KEY, name text NOT NULL,"
                   " category_id bigint REFERENCES {0}_categories(id));"
                   "INSERT INTO {0}_categories SELECT g, 'category ' || g"
                   " FROM generate_series(1, 10) g;"
                   "INSERT INTO {0}_products SELECT g, 'product ' || g, 1 + g % 10"
                   " FROM generate_series(1, 50) g",
                   prefix));
}

// The lazy page (a list, then one lookup per row) and its eager twin, through libpq.
// Untagged (empty ids): each page is one transaction, which is how pgtally tells them apart.
void libpq_pages(PGconn* conn, const std::string& prefix, const std::string& lazy_id,
                 const std::string& eager_id) {
  const std::string list =
      fmt::format("SELECT id, category_id FROM {}_products ORDER BY id LIMIT 20", prefix);
  const std::string route = "%2F" + prefix + "-products";
  if (lazy_id.empty()) rows(conn, "BEGIN");
  const auto categories = rows(conn, tag(list, lazy_id, route));
  ASSERT_EQ(categories.size(), 20U);
  const std::string lookup =
      tag(fmt::format("SELECT id, name FROM {}_categories WHERE id = $1", prefix), lazy_id, route);
  for (const std::string& row : categories) {
    const std::string key = row.substr(row.find('\t') + 1);
    const char* values[] = {key.c_str()};
    Result r(PQexecParams(conn, lookup.c_str(), 1, nullptr, values, nullptr, nullptr, 0), &PQclear);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  }
  if (lazy_id.empty()) rows(conn, "COMMIT");
  if (eager_id.empty()) rows(conn, "BEGIN");
  const std::string eager_route = route + "-eager";
  const auto again = rows(conn, tag(list, eager_id, eager_route));
  std::string keys = "{";
  for (const std::string& row : again)
    keys += (keys.size() > 1 ? "," : "") + row.substr(row.find('\t') + 1);
  keys += "}";
  const std::string batch =
      tag(fmt::format("SELECT id, name FROM {}_categories WHERE id = ANY($1::bigint[])", prefix),
          eager_id, eager_route);
  const char* values[] = {keys.c_str()};
  Result r(PQexecParams(conn, batch.c_str(), 1, nullptr, values, nullptr, nullptr, 0), &PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  if (eager_id.empty()) rows(conn, "COMMIT");
}

std::vector<json> findings_where(const json& findings, const std::string& key,
                                 const std::string& value) {
  std::vector<json> out;
  for (const auto& f : findings["findings"]) {
    if (f.contains(key) && f[key] == value) out.push_back(f);
  }
  return out;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(FindingsOut, MetricsPassPromtoolAndListEveryFamilyOfTheCatalog) {
  const std::string metrics = pgtally().get("/metrics");
  for (const auto& f : analyzer::metric_families())
    EXPECT_TRUE(contains(metrics, fmt::format("# TYPE {} ", f.name))) << f.name;
  const auto check = run_process(
      {"promtool", "check", "metrics"},
      {.env = {}, .stdin_text = metrics, .workdir = {}, .deadline = std::chrono::seconds(60)});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool lint findings";
}

TEST(FindingsOut, TaggedLibpqNPlusOneIsInTheApiTheLogAndTheMetricsAndItsEagerTwinIsNot) {
  create_catalog("lp");
  auto conn = connect_ok(pgtally().conninfo());
  libpq_pages(conn.get(), "lp", "lp-lazy", "lp-eager");
  ASSERT_TRUE(pgtally().finished("lp-lazy"));
  ASSERT_TRUE(pgtally().finished("lp-eager"));

  const json findings = pgtally().get_json("/api/findings");
  const auto lazy = findings_where(findings, "route", "/lp-products");
  ASSERT_EQ(lazy.size(), 1U) << findings.dump(2);
  EXPECT_EQ(lazy[0]["kind"], "n_plus_one");
  EXPECT_EQ(lazy[0]["normalized_query"], "SELECT id, name FROM lp_categories WHERE id = $1");
  EXPECT_EQ(lazy[0]["parent"]["normalized_query"],
            "SELECT id, category_id FROM lp_products ORDER BY id LIMIT $1");
  EXPECT_TRUE(contains(lazy[0]["fix"].get<std::string>(), "ANY"));
  EXPECT_TRUE(findings_where(findings, "route", "/lp-products-eager").empty());

  const json request = pgtally().get_json("/api/requests/lp-lazy");
  EXPECT_EQ(request["queries"], 21);
  EXPECT_EQ(request["complete"], true);
  EXPECT_EQ(request["timeline"].size(), 21U);
  ASSERT_EQ(request["findings"].size(), 1U);
  EXPECT_EQ(request["findings"][0]["kind"], "n_plus_one");
  const json eager = pgtally().get_json("/api/requests/lp-eager");
  EXPECT_EQ(eager["queries"], 2);
  EXPECT_TRUE(eager["findings"].empty());
  const json listed = pgtally().get_json("/api/requests?route=%2Flp-products&limit=5");
  ASSERT_EQ(listed["requests"].size(), 1U);
  EXPECT_EQ(listed["requests"][0]["id"], "lp-lazy");

  // The findings log: one JSON document per line.
  const std::string log = pgtally().findings_log();
  std::istringstream lines(log);
  std::size_t for_route = 0;
  for (std::string line; std::getline(lines, line);) {
    const json finding = json::parse(line, nullptr, false);
    ASSERT_FALSE(finding.is_discarded()) << "not JSON: " << line;
    EXPECT_NE(finding.value("route", ""), "/lp-products-eager");
    if (finding.value("route", "") == "/lp-products") {
      ++for_route;
      EXPECT_EQ(finding["kind"], "n_plus_one");
      EXPECT_EQ(finding["parent"]["normalized_query"],
                "SELECT id, category_id FROM lp_products ORDER BY id LIMIT $1");
    }
  }
  EXPECT_EQ(for_route, 1U) << log;

  const std::string metrics = pgtally().get("/metrics");
  EXPECT_TRUE(
      contains(metrics, R"(pgtally_findings_total{kind="n_plus_one",route="/lp-products"} 1)"))
      << metrics;
  EXPECT_FALSE(
      contains(metrics, R"(pgtally_findings_total{kind="n_plus_one",route="/lp-products-eager"})"));
  EXPECT_TRUE(contains(metrics, R"(pgtally_request_queries_count{route="/lp-products-eager"} 1)"));
  EXPECT_TRUE(contains(metrics, R"(pgtally_request_queries_sum{route="/lp-products"} 21)"));
}

TEST(FindingsOut, UntaggedLibpqNPlusOneIsInferredAndItsEagerTwinIsNot) {
  create_catalog("ut");
  auto conn = connect_ok(pgtally().conninfo());
  libpq_pages(conn.get(), "ut", "", "");
  const std::string lookup = "SELECT id, name FROM ut_categories WHERE id = $1";
  ASSERT_TRUE(eventually([&] {
    for (const auto& g : pgtally().analyzer().findings()) {
      if (g.latest.normalized == lookup) return true;
    }
    return false;
  })) << pgtally().get("/api/findings");
  // The eager page ended with its COMMIT; give the analyzer the same chance to flag it.
  ASSERT_TRUE(eventually([&] {
    for (const auto& r : pgtally().analyzer().requests(1000)) {
      for (const auto& f : r.by_fingerprint) {
        if (r.finished && f.normalized.find("ut_categories WHERE id = ANY") != std::string::npos) {
          return true;
        }
      }
    }
    return false;
  }));
  const json findings = pgtally().get_json("/api/findings");
  const auto lazy = findings_where(findings, "normalized_query", lookup);
  ASSERT_EQ(lazy.size(), 1U);
  EXPECT_EQ(lazy[0]["kind"], "n_plus_one");
  EXPECT_EQ(lazy[0]["attribution"], "inferred");
  EXPECT_EQ(lazy[0]["parent"]["normalized_query"],
            "SELECT id, category_id FROM ut_products ORDER BY id LIMIT $1");
  for (const auto& f : findings["findings"]) {
    EXPECT_FALSE(contains(f.value("normalized_query", ""), "ut_categories WHERE id = ANY"));
  }
  // Untagged requests have no route: their findings count under route="none".
  EXPECT_TRUE(contains(pgtally().get("/metrics"),
                       R"(pgtally_findings_total{kind="n_plus_one",route="none"})"));
  const std::string log = pgtally().findings_log();
  EXPECT_TRUE(
      contains(log, R"("normalized_query":"SELECT id, name FROM ut_categories WHERE id = $1")"))
      << log;
  EXPECT_FALSE(contains(log, "ut_categories WHERE id = ANY")) << log;
}

TEST(FindingsOut, JdbcPreparedBinaryNPlusOneIsFoundTaggedAndUntagged) {
  ASSERT_TRUE(fs::exists("/usr/share/java/postgresql.jar"))
      << "pgjdbc is missing: run deploy/install-deps.sh (libpostgresql-jdbc-java)";
  create_catalog("jdbc");
  auto run = [](const std::string& lazy, const std::string& eager) {
    return run_process(
        {"/usr/bin/java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
         "/usr/share/java/postgresql.jar",
         std::string(PGTALLY_CLIENTS_DIR) + "/jdbc/NPlusOneTraffic.java",
         fmt::format("jdbc:postgresql://127.0.0.1:{}/{}", pgtally().port(), kTestDatabase),
         std::string(kTrustUser), std::string(kTrustUser), lazy, eager},
        {.env = {}, .stdin_text = {}, .workdir = {}, .deadline = std::chrono::seconds(120)});
  };
  const auto tagged = run("jd-lazy", "jd-eager");
  ASSERT_EQ(tagged.exit_code, 0) << tagged.output;
  EXPECT_TRUE(contains(tagged.output, "lazy lookups: 20, eager rows: 10")) << tagged.output;
  ASSERT_TRUE(pgtally().finished("jd-lazy"));
  ASSERT_TRUE(pgtally().finished("jd-eager"));
  const json findings = pgtally().get_json("/api/findings");
  const auto lazy = findings_where(findings, "route", "/jdbc-products");
  ASSERT_EQ(lazy.size(), 1U) << findings.dump(2);
  EXPECT_EQ(lazy[0]["kind"], "n_plus_one");
  EXPECT_EQ(lazy[0]["parent"]["normalized_query"],
            "SELECT id, category_id FROM jdbc_products ORDER BY id LIMIT $1");
  // After prepareThreshold executions pgjdbc binds the key in binary; it still links to the
  // text-format keys the list returned.
  EXPECT_EQ(lazy[0]["evidence"]["keys_linked_to_parent"], 20) << lazy[0].dump(2);
  EXPECT_TRUE(findings_where(findings, "route", "/jdbc-products-eager").empty());
  // pgjdbc's untagged startup SETs join the first tagged request; the page itself is 21.
  const json request = pgtally().get_json("/api/requests/jd-lazy");
  std::uint64_t lookups = 0;
  for (const auto& f : request["by_fingerprint"]) {
    if (f["normalized_query"] == "SELECT id, name FROM jdbc_categories WHERE id = $1") {
      lookups = f["calls"].get<std::uint64_t>();
    }
  }
  EXPECT_EQ(lookups, 20U) << request.dump(2);

  const auto untagged = run("-", "-");
  ASSERT_EQ(untagged.exit_code, 0) << untagged.output;
  ASSERT_TRUE(eventually([&] {
    for (const auto& g : pgtally().analyzer().findings()) {
      if (g.latest.attribution == analyzer::Attribution::inferred &&
          g.latest.normalized == "SELECT id, name FROM jdbc_categories WHERE id = $1") {
        return true;
      }
    }
    return false;
  })) << pgtally().get("/api/findings");
}

TEST(FindingsOut, SecretLiteralsAppearNowhere) {
  const std::string secret = "sekret4711";
  auto direct = connect_ok(postgres().conninfo(kTrustUser));
  rows(direct.get(),
       "DROP TABLE IF EXISTS vault; CREATE TABLE vault (id serial PRIMARY KEY, v text UNIQUE)");
  auto conn = connect_ok(pgtally().conninfo());
  rows(conn.get(), tag(fmt::format("SELECT id FROM vault WHERE v = '{}-where'", secret),
                       "secret-req", "%2Fsecrets"));
  rows(conn.get(), fmt::format("SELECT 1 /* password={}-comment */", secret));
  const std::string param = secret + "-param";
  const char* values[] = {param.c_str()};
  Result bound(PQexecParams(conn.get(), "SELECT id FROM vault WHERE v = $1", 1, nullptr, values,
                            nullptr, nullptr, 0),
               &PQclear);
  ASSERT_EQ(PQresultStatus(bound.get()), PGRES_TUPLES_OK);
  Result syntax(
      PQexec(conn.get(), fmt::format("SELEKT v FROM vault WHERE v = '{}-syntax'", secret).c_str()),
      &PQclear);
  EXPECT_EQ(PQresultStatus(syntax.get()), PGRES_FATAL_ERROR);
  rows(conn.get(), fmt::format("INSERT INTO vault (v) VALUES ('{}-unique')", secret));
  Result duplicate(
      PQexec(conn.get(), fmt::format("INSERT INTO vault (v) VALUES ('{}-unique')", secret).c_str()),
      &PQclear);
  ASSERT_EQ(PQresultStatus(duplicate.get()), PGRES_FATAL_ERROR);
  EXPECT_TRUE(contains(PQresultErrorField(duplicate.get(), PG_DIAG_MESSAGE_DETAIL), secret))
      << "the server's DETAIL quotes the value; pgtally must not keep it";
  conn.reset();  // the connection's requests end
  ASSERT_TRUE(pgtally().finished("secret-req"));
  ASSERT_TRUE(eventually([&] {
    for (const auto& s : pgtally().analyzer().fingerprints()) {
      for (const auto& [sqlstate, n] : s.errors) {
        if (sqlstate == "23505") return true;
      }
    }
    return false;
  }));
  std::vector<std::string> targets = {"/metrics",
                                      "/api/findings",
                                      "/api/fingerprints",
                                      "/api/connections",
                                      "/api/requests?limit=10000",
                                      "/"};
  for (const auto& r : pgtally().get_json("/api/requests?limit=10000")["requests"]) {
    targets.push_back("/api/requests/" + r["id"].get<std::string>());
  }
  for (const std::string& target : targets) {
    const std::string body = pgtally().get(target);
    EXPECT_FALSE(contains(body, secret)) << target << " leaks: " << body;
  }
  EXPECT_TRUE(contains(pgtally().get("/api/fingerprints"), "vault"))
      << "the statements were analysed (else this test proves nothing)";
  EXPECT_FALSE(contains(pgtally().log(), secret));
  EXPECT_FALSE(contains(pgtally().findings_log(), secret));
}

TEST(FindingsOut, ExpectPassesFailsAndHasItsOwnCodeForUnknownRequests) {
  create_catalog("ex");
  auto conn = connect_ok(pgtally().conninfo());
  libpq_pages(conn.get(), "ex", "ex-lazy", "ex-eager");
  auto expect = [](std::vector<std::string> args) {
    std::vector<std::string> argv = {PGTALLY_EXE, "expect", "--http", pgtally().http_address()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (std::find(args.begin(), args.end(), "--timeout") == args.end()) {
      argv.insert(argv.end(), {"--timeout", "20"});
    }
    return run_process(
        argv, {.env = {}, .stdin_text = {}, .workdir = {}, .deadline = std::chrono::seconds(60)});
  };
  const auto clean = expect({"--request", "ex-eager", "--max-queries", "2", "--no-n-plus-one"});
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_TRUE(contains(clean.output, "PASSED"));
  const auto n_plus_one = expect({"--request", "ex-lazy", "--no-n-plus-one"});
  EXPECT_EQ(n_plus_one.exit_code, 1) << n_plus_one.output;
  EXPECT_TRUE(contains(n_plus_one.output, "n_plus_one (20 executions)")) << n_plus_one.output;
  EXPECT_TRUE(contains(n_plus_one.output, "fix: ")) << n_plus_one.output;
  EXPECT_TRUE(contains(n_plus_one.output, "20 x"))
      << "grouped by fingerprint: " << n_plus_one.output;
  const auto too_many = expect({"--request", "ex-lazy", "--max-queries", "10"});
  EXPECT_EQ(too_many.exit_code, 1) << too_many.output;
  EXPECT_TRUE(contains(too_many.output, "21 queries, more than --max-queries 10"));
  const auto unknown = expect({"--request", "ex-never-sent", "--timeout", "1"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.output;
  const auto nobody =
      run_process({PGTALLY_EXE, "expect", "--http", fmt::format("127.0.0.1:{}", free_tcp_port()),
                   "--request", "x", "--timeout", "1"});
  EXPECT_EQ(nobody.exit_code, 6) << nobody.output;
}

TEST(FindingsOut, PrometheusScrapesPgtallyAndPromQLSeesTheFindings) {
  create_catalog("pr");
  auto conn = connect_ok(pgtally().conninfo());
  libpq_pages(conn.get(), "pr", "pr-lazy", "pr-eager");
  ASSERT_TRUE(pgtally().finished("pr-lazy"));
  ASSERT_TRUE(pgtally().finished("pr-eager"));

  PrometheusOptions options;
  options.jobs = {ScrapeJob{"pgtally", {pgtally().http_address()}}};
  TempPrometheus prometheus(pgtally().dir() / "prometheus", options);
  auto value_of = [&](const std::string& promql) { return prometheus.value(promql); };
  ASSERT_TRUE(
      eventually([&] { return value_of(R"(up{job="pgtally"})") == 1.0; }, std::chrono::seconds(90)))
      << prometheus.output();
  EXPECT_EQ(value_of(R"(pgtally_findings_total{kind="n_plus_one",route="/pr-products"})"), 1.0);
  EXPECT_EQ(value_of(R"(pgtally_findings_total{route="/pr-products-eager"})"), std::nullopt);
  EXPECT_EQ(value_of(R"(pgtally_request_queries_sum{route="/pr-products"})"), 21.0);
  EXPECT_EQ(
      value_of(
          R"(histogram_quantile(1, sum by (le) (pgtally_request_queries_bucket{route="/pr-products-eager"})))"),
      2.0);
  EXPECT_EQ(value_of("pgtally_analysis_enabled"), 1.0);
  EXPECT_GT(value_of(R"(pgtally_relayed_bytes_total{direction="server_to_client"})").value_or(0),
            0);
  EXPECT_EQ(value_of(R"(sum(pgtally_analyzer_events_dropped_total))"), 0.0);
  EXPECT_TRUE(prometheus.stop());
}

}  // namespace
}  // namespace pgtally::testing
