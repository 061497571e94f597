#include "proxy/demo.hpp"

#include <libpq-fe.h>

#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "proxy/analysis.hpp"
#include "proxy/http_service.hpp"
#include "proxy/proxy.hpp"
#include "proxy/run.hpp"
#include "tests/support/temp_postgres.hpp"

namespace pgtally {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Sends `sql` and fails loudly: the demo's traffic must all succeed.
Result exec(PGconn* conn, const std::string& sql, const char* param = nullptr) {
  const char* params[] = {param};
  Result result(param == nullptr
                    ? PQexec(conn, sql.c_str())
                    : PQexecParams(conn, sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0),
                &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(fmt::format("demo query failed: {}", PQerrorMessage(conn)));
  }
  return result;
}

// sqlcommenter tags, as an ORM's request scope adds them.
std::string tagged(std::string_view sql, std::string_view request, std::string_view route) {
  return fmt::format("{} /*request_id='{}',route='{}'*/", sql, request, route);
}

int sample_traffic(const std::string& conninfo) {
  Connection conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(
        fmt::format("cannot connect through pgtally: {}", PQerrorMessage(conn.get())));
  }
  exec(conn.get(),
       "CREATE TABLE IF NOT EXISTS categories (id serial PRIMARY KEY, name text NOT NULL);"
       "CREATE TABLE IF NOT EXISTS products (id serial PRIMARY KEY, name text NOT NULL,"
       " category_id int REFERENCES categories(id));"
       "TRUNCATE products, categories;"
       "INSERT INTO categories (name) SELECT 'category ' || g FROM generate_series(1, 10) g;"
       "INSERT INTO products (name, category_id) SELECT 'product ' || g, 1 + g % 10"
       " FROM generate_series(1, 50) g;");
  int queries = 5;
  const std::string list = "SELECT id, category_id FROM products ORDER BY id LIMIT 20";
  // GET /products, the lazy way: one query for the list, then one more per row.
  const auto products = exec(conn.get(), tagged(list, "demo-lazy", "%2Fproducts"));
  const std::string lookup =
      tagged("SELECT id, name FROM categories WHERE id = $1", "demo-lazy", "%2Fproducts");
  for (int row = 0; row < PQntuples(products.get()); ++row) {
    exec(conn.get(), lookup, PQgetvalue(products.get(), row, 1));
  }
  queries += 1 + PQntuples(products.get());
  // GET /products-eager, done right: the list, then every category in one query.
  const auto again = exec(conn.get(), tagged(list, "demo-eager", "%2Fproducts-eager"));
  std::string keys = "{";
  for (int row = 0; row < PQntuples(again.get()); ++row) {
    keys += std::string(row == 0 ? "" : ",") + PQgetvalue(again.get(), row, 1);
  }
  keys += "}";
  exec(conn.get(),
       tagged("SELECT id, name FROM categories WHERE id = ANY($1::int[])", "demo-eager",
              "%2Fproducts-eager"),
       keys.c_str());
  return queries + 2;
}

// Waits (bounded) until both requests have ended and their findings are final, then prints.
void report_findings(analyzer::Analyzer& analyzer) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto ended = [&analyzer] {
    std::size_t done = 0;
    for (const auto& r : analyzer.requests(20))
      done += r.finished ? 1 : 0;
    return done >= 2;
  };
  while (!ended() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
  const auto findings = analyzer.findings();
  std::cout << fmt::format("Findings ({}):\n", findings.size());
  for (const auto& group : findings) {
    const auto& f = group.latest;
    std::cout << fmt::format(
        "  [{}] {} on route {} ({}), {} executions\n", analyzer::to_string(f.severity),
        analyzer::to_string(f.kind), f.route.empty() ? "-" : f.route,
        f.attribution == analyzer::Attribution::tagged ? "tagged" : "inferred", f.count);
    if (!f.normalized.empty()) std::cout << "      query:  " << f.normalized << "\n";
    if (!f.parent_normalized.empty()) std::cout << "      parent: " << f.parent_normalized << "\n";
    if (!f.fix.empty()) std::cout << "      fix:    " << f.fix << "\n";
  }
  std::cout << "\n";
}

}  // namespace

int run_demo(Config config, bool once) {
  std::cout << "pgtally demo: starting a throwaway PostgreSQL 15...\n" << std::flush;
  testing::PostgresOptions options;
  options.tls = false;
  testing::TempPostgres postgres(options);
  config.upstream = fmt::format("{}:{}", postgres.host(), postgres.port());
  config.analysis = true;
  if (config.findings_log == "stdout") config.findings_log = "off";  // the report says it all
  Analysis analysis(config);
  std::unique_ptr<Proxy> proxy;
  try {
    proxy = std::make_unique<Proxy>(config, analysis.observers());
    proxy->start();
  } catch (const std::exception& e) {
    std::cout << "pgtally demo: " << e.what() << "; listening on a free port instead\n";
    config.listen = {"127.0.0.1:0"};
    proxy = std::make_unique<Proxy>(config, analysis.observers());
    proxy->start();
  }
  std::unique_ptr<HttpServer> http;
  try {
    http = start_http(config, *proxy, &analysis.analyzer());
  } catch (const std::exception& e) {
    std::cout << "pgtally demo: " << e.what() << "; serving HTTP on a free port instead\n";
    config.http = "127.0.0.1:0";
    http = start_http(config, *proxy, &analysis.analyzer());
  }
  const auto endpoint = proxy->tcp_endpoints().at(0);
  const auto conninfo =
      fmt::format("host=127.0.0.1 port={} user={} password={} dbname={}", endpoint.port(),
                  testing::kTrustUser, testing::kTrustUser, testing::kTestDatabase);
  const int queries = sample_traffic(conninfo);
  std::cout << fmt::format(
      "\npgtally is relaying to PostgreSQL at {}.\n"
      "Sample traffic: {} queries through pgtally. GET /products lists products, then looks up "
      "each one's category (the N+1 pattern); GET /products-eager loads the same with one "
      "batched query.\n\n",
      config.upstream, queries);
  report_findings(analysis.analyzer());
  const auto url = fmt::format("postgres://{0}:{0}@127.0.0.1:{1}/{2}", testing::kTrustUser,
                               endpoint.port(), testing::kTestDatabase);
  std::cout << fmt::format(
      "Connect your application or psql through pgtally:\n"
      "  {}\n"
      "  psql '{}'\n\n",
      url, url);
  if (http) {
    const auto web = http->endpoint();
    const auto base = fmt::format("http://{}:{}", web.address().to_string(), web.port());
    std::cout << fmt::format(
        "Where to look:\n"
        "  page:     {0}/\n"
        "  metrics:  {0}/metrics   (Prometheus scrapes this)\n"
        "  findings: {0}/api/findings\n"
        "  requests: {0}/api/requests   (one: {0}/api/requests/demo-lazy)\n"
        "  assert:   pgtally expect --http {1}:{2} --request demo-eager --max-queries 2 "
        "--no-n-plus-one\n\n",
        base, web.address().to_string(), web.port());
  }
  if (once) {
    proxy->shutdown(std::chrono::seconds(1));
    if (http) http->stop();
    std::cout << "pgtally demo: done (--once).\n";
    return 0;
  }
  std::cout << "Press Ctrl-C to stop.\n" << std::flush;
  serve_until_signalled(*proxy);
  if (http) http->stop();
  return 0;
}

}  // namespace pgtally
