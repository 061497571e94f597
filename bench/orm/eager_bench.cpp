// 1,000 storefront orders loaded with their items and each item's product, three ways in one
// run: one JOIN statement, separate levels (one statement per level), and the lazy loop (one
// statement per order and per item: the N+1). Starts its own PostgreSQL. The summary printed
// at the end gives statements and time per load for each.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "orm/database.hpp"
#include "orm/migrate/runner.hpp"
#include "orm/raw_query.hpp"
#include "orm/related.hpp"
#include "orm/repository.hpp"
#include "orm/storefront/associations.hpp"
#include "orm/storefront/models.hpp"
#include "orm/storefront/schema_migrations.hpp"
#include "orm/storefront/seed.hpp"
#include "tests/support/temp_postgres.hpp"

namespace {

namespace orm = pgtally::orm;
namespace sf = pgtally::storefront;

constexpr sf::SeedSize kSize{.categories = 10,
                             .tags = 20,
                             .products = 200,
                             .users = 100,
                             .orders_per_user = 10,
                             .items_per_order = 3};
constexpr std::size_t kOrders = 1000;

struct Fixture {
  pgtally::testing::TempPostgres server{
      pgtally::testing::PostgresOptions{.tls = false, .max_connections = 20, .extra_config = ""}};
  std::unique_ptr<orm::Database> db;
  std::atomic<std::uint64_t> statements{0};
  orm::Subscription counting;

  Fixture() {
    orm::Config config = orm::Config::from_url(server.conninfo());
    config.associations = &sf::associations();
    db = std::make_unique<orm::Database>(config);
    orm::migrate::Runner(*db, storefront_migrations()).migrate();
    sf::seed(*db, kSize);
    orm::query(*db, "ANALYZE");
    counting = db->on_query([this](const orm::QueryLog&) { ++statements; });
  }
};

Fixture& fixture() {
  static Fixture f;  // one server for the whole run
  return f;
}

orm::FindOptions with_items_and_products(bool separate) {
  return {.order = {orm::asc(&sf::Order::id)},
          .include = {orm::include(
              &sf::Order::items,
              {.separate = separate,
               .include = {orm::include(&sf::OrderItem::product, {.separate = separate})}})}};
}

std::vector<sf::Order> load_join(orm::Database& db) {
  return orm::Repository<sf::Order>(db).find_all(with_items_and_products(false));
}

std::vector<sf::Order> load_separate(orm::Database& db) {
  return orm::Repository<sf::Order>(db).find_all(with_items_and_products(true));
}

std::vector<sf::Order> load_lazy(orm::Database& db) {
  auto orders = orm::Repository<sf::Order>(db).find_all({.order = {orm::asc(&sf::Order::id)}});
  for (auto& order : orders) {
    for (auto& item : orm::related(db, order, &sf::Order::items).load())
      orm::related(db, item, &sf::OrderItem::product).load();
  }
  return orders;
}

using Loader = std::vector<sf::Order> (*)(orm::Database&);

void run(benchmark::State& state, Loader loader) {
  auto& f = fixture();
  const std::uint64_t before = f.statements;
  for (auto _ : state) {
    auto orders = loader(*f.db);
    if (orders.size() != kOrders) state.SkipWithError("wrong order count");
    benchmark::DoNotOptimize(orders.data());
  }
  state.counters["statements"] = benchmark::Counter(static_cast<double>(f.statements - before) /
                                                    static_cast<double>(state.iterations()));
}

void BM_Join(benchmark::State& state) {
  run(state, &load_join);
}
void BM_Separate(benchmark::State& state) {
  run(state, &load_separate);
}
void BM_LazyLoop(benchmark::State& state) {
  run(state, &load_lazy);
}

// Repetitions, and the median of them in the note, because the server shares the machine.
BENCHMARK(BM_Join)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Repetitions(3);
BENCHMARK(BM_Separate)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Repetitions(3);
BENCHMARK(BM_LazyLoop)->Unit(benchmark::kMillisecond)->MinTime(2.0)->Repetitions(3);

struct Timing {
  double real = 0;        // wall seconds per load
  double statements = 0;  // statements per load
};

// Keeps each benchmark's per-iteration figures for the summary.
class NoteReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.iterations <= 0) continue;
      const auto statements = run.counters.find("statements");
      timings_[run.run_name.function_name].push_back(
          Timing{run.real_accumulated_time / static_cast<double>(run.iterations),
                 statements == run.counters.end() ? 0 : statements->second.value});
    }
    ConsoleReporter::ReportRuns(runs);
  }
  // The median of the repetitions.
  [[nodiscard]] std::optional<Timing> timing(const std::string& name) const {
    const auto it = timings_.find(name);
    if (it == timings_.end() || it->second.empty()) return std::nullopt;
    auto runs = it->second;
    std::sort(runs.begin(), runs.end(),
              [](const Timing& a, const Timing& b) { return a.real < b.real; });
    return runs[runs.size() / 2];
  }

 private:
  std::map<std::string, std::vector<Timing>> timings_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto& f = fixture();  // start the server and load the rows before timing
  // The three ways must load the same graph.
  {
    const auto join = load_join(*f.db);
    if (join.size() != kOrders || load_separate(*f.db) != join || load_lazy(*f.db) != join) {
      std::fprintf(stderr, "JOIN, separate and lazy loads returned different graphs\n");
      return 1;
    }
  }
  NoteReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto join = reporter.timing("BM_Join");
  const auto separate = reporter.timing("BM_Separate");
  const auto lazy = reporter.timing("BM_LazyLoop");
  if (join && separate && lazy) {
    std::printf(
        "\nSummary: %zu orders, each with its %d items and each item's product "
        "(medians of 3 repetitions).\n"
        "  %-14s %10s %12s\n"
        "  %-14s %10.0f %9.1f ms\n"
        "  %-14s %10.0f %9.1f ms\n"
        "  %-14s %10.0f %9.1f ms\n"
        "  The lazy loop pays a round trip per order and per item. JOIN pays one, but repeats\n"
        "  each order's and product's columns on every joined row; separate pays one per level\n"
        "  and reads each row once.\n",
        kOrders, kSize.items_per_order, "load", "statements", "time", "JOIN", join->statements,
        join->real * 1e3, "separate", separate->statements, separate->real * 1e3, "lazy loop",
        lazy->statements, lazy->real * 1e3);
  }
  benchmark::Shutdown();
  return 0;
}
