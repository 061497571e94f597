#include "proxy/demo.hpp"

#include <libpq-fe.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "proxy/proxy.hpp"
#include "proxy/run.hpp"
#include "tests/support/temp_postgres.hpp"

namespace pgtally {
namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Sends `sql` and fails loudly: the demo's traffic must all succeed.
Result exec(PGconn* conn, const std::string& sql) {
  Result result(PQexec(conn, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(fmt::format("demo query failed: {}", PQerrorMessage(conn)));
  }
  return result;
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
  int queries = 1;
  // The classic lazy loop: one query for the list, one more per row.
  auto products = exec(conn.get(), "SELECT id, category_id FROM products ORDER BY id LIMIT 20");
  ++queries;
  for (int row = 0; row < PQntuples(products.get()); ++row) {
    const char* category = PQgetvalue(products.get(), row, 1);
    const char* params[] = {category};
    Result r(PQexecParams(conn.get(), "SELECT id, name FROM categories WHERE id = $1", 1, nullptr,
                          params, nullptr, nullptr, 0),
             &PQclear);
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
      throw std::runtime_error(fmt::format("demo query failed: {}", PQerrorMessage(conn.get())));
    }
    ++queries;
  }
  return queries;
}

}  // namespace

int run_demo(Config config, bool once) {
  std::cout << "pgtally demo: starting a throwaway PostgreSQL 15...\n" << std::flush;
  testing::PostgresOptions options;
  options.tls = false;
  testing::TempPostgres postgres(options);
  config.upstream = fmt::format("{}:{}", postgres.host(), postgres.port());
  std::unique_ptr<Proxy> proxy;
  try {
    proxy = std::make_unique<Proxy>(config);
    proxy->start();
  } catch (const std::exception& e) {
    std::cout << "pgtally demo: " << e.what() << "; listening on a free port instead\n";
    config.listen = {"127.0.0.1:0"};
    proxy = std::make_unique<Proxy>(config);
    proxy->start();
  }
  const auto endpoint = proxy->tcp_endpoints().at(0);
  const auto conninfo =
      fmt::format("host=127.0.0.1 port={} user={} password={} dbname={}", endpoint.port(),
                  testing::kTrustUser, testing::kTrustUser, testing::kTestDatabase);
  const int queries = sample_traffic(conninfo);
  const auto url = fmt::format("postgres://{0}:{0}@127.0.0.1:{1}/{2}", testing::kTrustUser,
                               endpoint.port(), testing::kTestDatabase);
  std::cout << fmt::format(
      "\npgtally is relaying to PostgreSQL at {}.\n"
      "Sample traffic: {} queries through pgtally (a list of products, then one category "
      "lookup per product: the N+1 pattern).\n\n"
      "Connect your application or psql through pgtally:\n"
      "  {}\n"
      "  psql '{}'\n\n",
      config.upstream, queries, url, url);
  if (once) {
    proxy->shutdown(std::chrono::seconds(1));
    std::cout << "pgtally demo: done (--once).\n";
    return 0;
  }
  std::cout << "Press Ctrl-C to stop.\n" << std::flush;
  serve_until_signalled(*proxy);
  return 0;
}

}  // namespace pgtally
