// Analyzer throughput and fingerprint cost: raw libpg_query, a cold (uncached) fingerprint, a
// cached one (scan + lookup), the scan alone, and events per second through the engine and
// through the threaded analyzer with one and two producer threads.
#include <benchmark/benchmark.h>
#include <pg_query.h>

#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "analyzer/analyzer.hpp"
#include "analyzer/engine.hpp"
#include "analyzer/fingerprint.hpp"
#include "analyzer/literal_scanner.hpp"

namespace {

using namespace pgtally::analyzer;

// What an ORM sends: quoted identifiers, inlined literals, a sqlcommenter comment.
std::string orm_query(int id, const std::string& alias = "users") {
  return fmt::format(
      "SELECT \"{0}\".\"id\", \"{0}\".\"email\", \"{0}\".\"name\", \"{0}\".\"created_at\" FROM "
      "\"users\" AS \"{0}\" WHERE \"{0}\".\"id\" = {1} AND \"{0}\".\"deleted_at\" IS NULL AND "
      "\"{0}\".\"status\" = 'active' LIMIT 1 /*request_id='req-{1}',route='%2Fusers%2F%3Aid'*/",
      alias, id);
}

void RawLibpgQueryFingerprint(benchmark::State& state) {
  const std::string q = orm_query(42);
  for (auto _ : state) {
    PgQueryFingerprintResult r = pg_query_fingerprint(q.c_str());
    benchmark::DoNotOptimize(r.fingerprint);
    pg_query_free_fingerprint_result(r);
  }
}
BENCHMARK(RawLibpgQueryFingerprint);

void RawLibpgQueryFingerprintAndNormalize(benchmark::State& state) {
  const std::string q = orm_query(42);
  for (auto _ : state) {
    PgQueryFingerprintResult r = pg_query_fingerprint(q.c_str());
    PgQueryNormalizeResult n = pg_query_normalize(q.c_str());
    benchmark::DoNotOptimize(r.fingerprint);
    pg_query_free_fingerprint_result(r);
    pg_query_free_normalize_result(n);
  }
}
BENCHMARK(RawLibpgQueryFingerprintAndNormalize);

void FingerprintCold(benchmark::State& state) {
  Fingerprinter fingerprinter;
  ScanResult scan;
  int i = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string q = orm_query(i, fmt::format("u{}", i));  // a new shape every time
    ++i;
    state.ResumeTiming();
    scan_sql(q, scan);
    benchmark::DoNotOptimize(fingerprinter.fingerprint(q, scan)->fingerprint);
  }
}
BENCHMARK(FingerprintCold);

void FingerprintCached(benchmark::State& state) {
  std::vector<std::string> texts;
  for (int i = 0; i < 1024; ++i)
    texts.push_back(orm_query(i * 7919));  // new literals, one shape
  Fingerprinter fingerprinter;
  ScanResult scan;
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& q = texts[i++ & 1023U];
    scan_sql(q, scan);
    benchmark::DoNotOptimize(fingerprinter.fingerprint(q, scan)->fingerprint);
  }
  state.counters["hit_rate"] =
      static_cast<double>(fingerprinter.stats().hits) /
      static_cast<double>(fingerprinter.stats().hits + fingerprinter.stats().misses);
}
BENCHMARK(FingerprintCached);

void ScanOnly(benchmark::State& state) {
  const std::string q = orm_query(42);
  ScanResult scan;
  for (auto _ : state) {
    scan_sql(q, scan);
    benchmark::DoNotOptimize(scan.shape);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(q.size()));
}
BENCHMARK(ScanOnly);

// This file also builds against the analyzer of commit fa5e35b (bench/analyzer/compare.sh),
// whose sampled values were a flat list of hashes without rows and columns.
#if __has_include("analyzer/causal_links.hpp")
void add_sampled(QueryEvent& q, ValueHash hash, std::uint16_t row, std::uint16_t column) {
  q.sampled_values.push_back({hash, row, column});
}
#else
void add_sampled(QueryEvent& q, ValueHash hash, std::uint16_t, std::uint16_t) {
  q.sampled_values.push_back(hash);
}
#endif

enum class Traffic : std::uint8_t {
  tagged,
  untagged,        // back to back: only the values tell one request from the next
  untagged_quiet,  // 150 ms apart, so an idle gap also ends each request
};

// Requests of one parent query returning 64 rows of 8 sampled columns (an id, three foreign
// keys, four other values) and eight lookups keyed by its ids, on `connection`. Tagged, or
// not: then pgtally must find the requests.
std::vector<Event> workload(const ValueHasher& hasher, ConnectionId connection, int requests,
                            Traffic traffic) {
  const bool tagged = traffic == Traffic::tagged;
  std::vector<Event> events;
  events.emplace_back(
      ConnectionOpened{connection, 1, {"app", "shop", "web", "10.0.0.1"}, Source::proxy, {}});
  TimePoint t = TimePoint{} + std::chrono::hours(1);
  for (int r = 0; r < requests; ++r) {
    const std::string tag =
        tagged ? fmt::format(" /*request_id='c{}-r{}',route='%2Fposts'*/", connection, r) : "";
    auto add = [&](std::string text, int rows) {
      QueryEvent q;
      q.connection = connection;
      q.text = std::move(text) + tag;
      q.start = t;
      q.end = t + std::chrono::microseconds(200);
      q.rows = static_cast<std::uint64_t>(rows);
      const int base = (static_cast<int>(connection) * 100000 + r) * 64;
      for (int row = 0; row < rows; ++row) {
        for (int column = 0; column < 8; ++column) {
          const int value = column == 0 ? base + row : (column < 4 ? 7 * row + column : row % 5);
          add_sampled(q, hasher.hash_text(std::to_string(value)), static_cast<std::uint16_t>(row),
                      static_cast<std::uint16_t>(column));
        }
      }
      t = q.end + std::chrono::microseconds(50);
      events.emplace_back(std::move(q));
    };
    add(fmt::format("SELECT * FROM posts WHERE author_id = {}", r), 64);
    const int base = (static_cast<int>(connection) * 100000 + r) * 64;
    for (int i = 0; i < 8; ++i) {
      add(fmt::format("SELECT * FROM comments WHERE post_id = {}", base + i), 1);
    }
    if (traffic == Traffic::untagged_quiet) t += std::chrono::milliseconds(150);
  }
  return events;
}

// Processes `events` with ticks as the analyzer thread gives them (every 100 ms, its default),
// so idle units end between events, then flushes.
void replay(Engine& engine, const std::vector<Event>& events) {
  constexpr std::chrono::milliseconds kTickInterval{100};
  TimePoint last_tick{};
  for (const Event& e : events) {
    engine.process(e);
    if (const auto* q = std::get_if<QueryEvent>(&e);
        q != nullptr && q->end - last_tick >= kTickInterval) {
      engine.tick(q->end);
      last_tick = q->end;
    }
  }
  engine.flush(TimePoint{} + std::chrono::hours(10));
}

void EngineEventsPerSecond(benchmark::State& state) {
  const ValueHasher hasher;
  const auto traffic = static_cast<Traffic>(state.range(0));
  const std::vector<Event> events = workload(hasher, 1, 1000, traffic);
  std::uint64_t findings = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Engine engine(AnalyzerConfig{}, hasher);
    state.ResumeTiming();
    replay(engine, events);
    state.PauseTiming();
    findings = engine.findings().empty() ? 0 : engine.findings().front().occurrences;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(events.size()));
  state.counters["n_plus_one_requests"] = static_cast<double>(findings);
  state.SetLabel(traffic == Traffic::tagged     ? "tagged"
                 : traffic == Traffic::untagged ? "untagged"
                                                : "untagged, 150 ms apart");
}
BENCHMARK(EngineEventsPerSecond)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// pgbench -S through the proxy: single-statement transactions of one point lookup returning
// one row, untagged, back to back over 8 connections. Every statement is a request of its own.
void EnginePointLookups(benchmark::State& state) {
  const ValueHasher hasher;
  constexpr int kConnections = 8;
  std::vector<Event> events;
  for (int c = 1; c <= kConnections; ++c) {
    events.emplace_back(ConnectionOpened{static_cast<ConnectionId>(c),
                                         1,
                                         {"pgbench", "bench", "postgres", "10.0.0.1"},
                                         Source::proxy,
                                         {}});
  }
  TimePoint t = TimePoint{} + std::chrono::hours(1);
  for (int i = 0; i < 20000; ++i) {
    QueryEvent q;
    q.connection = static_cast<ConnectionId>(1 + i % kConnections);
    q.text =
        fmt::format("SELECT abalance FROM pgbench_accounts WHERE aid = {}", 1 + i * 7919 % 1000000);
    q.start = t;
    q.end = t + std::chrono::microseconds(60);
    q.rows = 1;
    add_sampled(q, hasher.hash_text(std::to_string(i % 5000)), 0, 0);
    t += std::chrono::microseconds(10);
    events.emplace_back(std::move(q));
  }
  for (auto _ : state) {
    state.PauseTiming();
    Engine engine(AnalyzerConfig{}, hasher);
    state.ResumeTiming();
    replay(engine, events);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(events.size()));
}
BENCHMARK(EnginePointLookups)->Unit(benchmark::kMillisecond);

// Producer threads push into their rings while the analyzer thread drains them.
void AnalyzerThreadEventsPerSecond(benchmark::State& state) {
  const auto producers = static_cast<int>(state.range(0));
  std::uint64_t processed = 0;
  std::uint64_t dropped = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto analyzer = std::make_unique<Analyzer>();
    std::vector<std::vector<Event>> batches;
    std::vector<EventRing*> rings;
    for (int p = 0; p < producers; ++p) {
      batches.push_back(
          workload(analyzer->hasher(), static_cast<ConnectionId>(p + 1), 1000, Traffic::tagged));
      rings.push_back(&analyzer->add_producer(1U << 17U));
    }
    state.ResumeTiming();
    analyzer->start();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        for (Event& e : batches[static_cast<std::size_t>(p)]) {
          rings[static_cast<std::size_t>(p)]->try_push(std::move(e));
        }
      });
    }
    for (auto& th : threads)
      th.join();
    analyzer->stop();
    const AnalyzerCounters c = analyzer->counters();
    processed += c.events;
    dropped += c.ring_dropped_full;
    state.PauseTiming();
    analyzer.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(processed));
  state.counters["dropped"] = static_cast<double>(dropped);
}
BENCHMARK(AnalyzerThreadEventsPerSecond)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
