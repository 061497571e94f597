// 100k rows read through the ORM (Repository::find_all) and through raw libpq in one run; the
// raw side converts each field to the model's C++ types by hand. Starts its own PostgreSQL.
// The closing note gives the ORM's overhead per row and the ratio (target: under 1.5x).
#include <libpq-fe.h>

#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "orm/database.hpp"
#include "orm/raw_query.hpp"
#include "orm/repository.hpp"
#include "orm/sync.hpp"
#include "tests/support/temp_postgres.hpp"

namespace {

namespace orm = pgtally::orm;
constexpr int kRows = 100'000;

struct Item {
  std::int64_t id = 0;
  std::string name;
  std::int32_t quantity = 0;
  orm::Numeric price;
  bool active = false;
  orm::Timestamp createdAt;
  std::optional<std::string> note;

  static const orm::ModelSchema<Item>& schema() {
    using orm::Type;
    static const auto schema =
        orm::ModelSchema<Item>("items")
            .underscored()
            .column(&Item::id, "id", Type::bigint(), {.primary_key = true, .auto_increment = true})
            .column(&Item::name, "name", Type::string(80))
            .column(&Item::quantity, "quantity", Type::integer())
            .column(&Item::price, "price", Type::numeric(10, 2))
            .column(&Item::active, "active", Type::boolean())
            .column(&Item::createdAt, "createdAt", Type::timestamptz())
            .column(&Item::note, "note", Type::text());
    return schema;
  }
};

constexpr const char* kSelect =
    "SELECT \"id\", \"name\", \"quantity\", \"price\", \"active\", \"created_at\", \"note\" "
    "FROM \"items\"";

struct Fixture {
  pgtally::testing::TempPostgres server{
      pgtally::testing::PostgresOptions{.tls = false, .max_connections = 20, .extra_config = ""}};
  std::unique_ptr<orm::Database> db;

  Fixture() {
    orm::Config config = orm::Config::from_url(server.conninfo());
    db = std::make_unique<orm::Database>(config);
    orm::sync<Item>(*db, orm::SyncMode::force);
    orm::query(*db,
               "INSERT INTO items (name, quantity, price, active, created_at, note) "
               "SELECT 'item ' || g, g % 1000, (g % 10000) / 100.0, g % 2 = 0, "
               "now() - g * interval '1 second', CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g "
               "END FROM generate_series(1, :rows) AS g",
               {{"rows", kRows}});
  }
};

Fixture& fixture() {
  static Fixture f;  // one server for the whole run
  return f;
}

template <typename T>
T to_int(const char* text, int length) {
  T value = 0;
  std::from_chars(text, text + length, value);
  return value;
}

std::vector<Item> read_raw(PGconn* conn) {
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexecParams(conn, kSelect, 0, nullptr, nullptr, nullptr, nullptr, 0), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) throw std::runtime_error("raw select");
  PGresult* r = result.get();
  const int rows = PQntuples(r);
  std::vector<Item> items;
  items.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    Item& item = items.emplace_back();
    item.id = to_int<std::int64_t>(PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
    item.name.assign(PQgetvalue(r, i, 1), static_cast<std::size_t>(PQgetlength(r, i, 1)));
    item.quantity = to_int<std::int32_t>(PQgetvalue(r, i, 2), PQgetlength(r, i, 2));
    item.price.text.assign(PQgetvalue(r, i, 3), static_cast<std::size_t>(PQgetlength(r, i, 3)));
    item.active = PQgetvalue(r, i, 4)[0] == 't';
    item.createdAt = orm::parse_timestamp(
        std::string_view(PQgetvalue(r, i, 5), static_cast<std::size_t>(PQgetlength(r, i, 5))));
    if (PQgetisnull(r, i, 6) == 0) {
      item.note.emplace(PQgetvalue(r, i, 6), static_cast<std::size_t>(PQgetlength(r, i, 6)));
    }
  }
  return items;
}

void BM_RawLibpq(benchmark::State& state) {
  auto& f = fixture();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(f.server.conninfo().c_str()),
                                                    &PQfinish);
  for (auto _ : state) {
    auto items = read_raw(conn.get());
    if (items.size() != kRows) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(items.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_Orm(benchmark::State& state) {
  auto& f = fixture();
  orm::Repository<Item> items_repo(*f.db);
  for (auto _ : state) {
    auto items = items_repo.find_all();
    if (items.size() != kRows) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(items.data());
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK(BM_RawLibpq)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_Orm)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// Keeps each benchmark's real time per iteration for the closing note.
class NoteReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        seconds_[run.benchmark_name()] =
            run.real_accumulated_time / static_cast<double>(run.iterations);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  [[nodiscard]] std::optional<double> seconds(const std::string& name) const {
    const auto it = seconds_.find(name);
    if (it == seconds_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fixture();  // start the server and load the rows before timing
  // The two sides must read the same data.
  {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
        PQconnectdb(fixture().server.conninfo().c_str()), &PQfinish);
    const auto raw = read_raw(conn.get());
    const auto mapped = orm::Repository<Item>(*fixture().db).find_all();
    if (raw.size() != mapped.size() || raw.back().createdAt != mapped.back().createdAt ||
        raw.back().note != mapped.back().note || raw.back().price != mapped.back().price) {
      std::fprintf(stderr, "the ORM and raw libpq read different rows\n");
      return 1;
    }
  }
  NoteReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto raw = reporter.seconds("BM_RawLibpq/min_time:3.000");
  const auto orm_time = reporter.seconds("BM_Orm/min_time:3.000");
  if (raw && orm_time) {
    std::printf(
        "\nClosing note: %d rows of 7 columns. raw libpq %.1f ms (%.0f ns/row), ORM %.1f ms "
        "(%.0f ns/row); ORM overhead %.0f ns/row, %.2fx raw libpq (target < 1.5x).\n",
        kRows, *raw * 1e3, *raw * 1e9 / kRows, *orm_time * 1e3, *orm_time * 1e9 / kRows,
        (*orm_time - *raw) * 1e9 / kRows, *orm_time / *raw);
  }
  benchmark::Shutdown();
  return 0;
}
