// 100k rows read through the ORM (Repository::find_all) and through raw libpq in one run; the
// raw side converts each field to the model's C++ types by hand. Starts its own PostgreSQL.
// The summary printed at the end gives the ORM's overhead per row and the ratio (target: under
// 1.5x).
#include <libpq-fe.h>

#include <algorithm>
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

// Repetitions, and the median of them in the note, because the server shares the machine.
BENCHMARK(BM_RawLibpq)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Repetitions(3);
BENCHMARK(BM_Orm)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Repetitions(3);

struct Timing {
  double real = 0;  // wall seconds per iteration: server, network and client
  double cpu = 0;   // this process's CPU seconds per iteration: what the client side costs
};

// Keeps each benchmark's times per iteration for the summary.
class NoteReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        const auto n = static_cast<double>(run.iterations);
        timings_[run.benchmark_name()].push_back(
            Timing{run.real_accumulated_time / n, run.cpu_accumulated_time / n});
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // The median of the repetitions, wall and CPU taken apart.
  [[nodiscard]] std::optional<Timing> timing(const std::string& name) const {
    const auto it = timings_.find(name);
    if (it == timings_.end() || it->second.empty()) return std::nullopt;
    std::vector<double> real;
    std::vector<double> cpu;
    for (const auto& t : it->second) {
      real.push_back(t.real);
      cpu.push_back(t.cpu);
    }
    std::sort(real.begin(), real.end());
    std::sort(cpu.begin(), cpu.end());
    return Timing{real[real.size() / 2], cpu[cpu.size() / 2]};
  }

 private:
  std::map<std::string, std::vector<Timing>> timings_;
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
  const auto raw = reporter.timing("BM_RawLibpq/min_time:2.000/repeats:3");
  const auto orm_side = reporter.timing("BM_Orm/min_time:2.000/repeats:3");
  if (raw && orm_side) {
    const auto per_row_ns = [](double seconds) { return seconds * 1e9 / kRows; };
    std::printf(
        "\nSummary: %d rows of 7 columns per read (medians of 3 repetitions).\n"
        "  wall time: raw libpq %.1f ms, ORM %.1f ms -> %.2fx, overhead %.0f ns/row\n"
        "  client CPU: raw libpq %.1f ms, ORM %.1f ms -> %.2fx, overhead %.0f ns/row\n"
        "  target: under 1.5x raw libpq.\n",
        kRows, raw->real * 1e3, orm_side->real * 1e3, orm_side->real / raw->real,
        per_row_ns(orm_side->real - raw->real), raw->cpu * 1e3, orm_side->cpu * 1e3,
        orm_side->cpu / raw->cpu, per_row_ns(orm_side->cpu - raw->cpu));
  }
  benchmark::Shutdown();
  return 0;
}
