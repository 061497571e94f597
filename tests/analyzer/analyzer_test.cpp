// The facade and what leaves the analyzer: rings and the analyzer thread, statistics, JSON,
// and privacy (no literal value in anything the API or the logs can show).
#include "analyzer/analyzer.hpp"

#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analyzer/engine.hpp"
#include "trace.hpp"

namespace pgtally::analyzer {
namespace {

using namespace std::chrono_literals;
using testing::ids;
using testing::Param;
using testing::Trace;

TEST(EventRing, DropsWhenFullAndCountsTheReason) {
  EventRing ring(4);
  EXPECT_EQ(ring.capacity(), 4U);
  int pushed = 0;
  for (int i = 0; i < 10; ++i)
    pushed += ring.try_push(QueryStarted{static_cast<ConnectionId>(i), {}}) ? 1 : 0;
  EXPECT_EQ(pushed, 4);
  EXPECT_EQ(ring.drops(DropReason::ring_full), 6U);
  for (int i = 0; i < 4; ++i) {
    auto e = ring.try_pop();
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(std::get<QueryStarted>(*e).connection, static_cast<ConnectionId>(i));
  }
  EXPECT_FALSE(ring.try_pop().has_value());
}

std::vector<Event> lazy_loop_events(const ValueHasher& hasher, ConnectionId conn,
                                    const std::string& request) {
  Trace t(hasher);
  t.open(conn);
  t.q(conn, "SELECT id FROM posts WHERE author_id = 7", {.request = request, .results = ids(1, 6)});
  for (int i = 1; i <= 6; ++i) {
    t.q(conn, fmt::format("SELECT * FROM comments WHERE post_id = {}", i), {.request = request});
  }
  return t.events;
}

TEST(Analyzer, DrainsRingsFromTwoProducerThreads) {
  Analyzer analyzer;
  EventRing& a = analyzer.add_producer(1024);
  EventRing& b = analyzer.add_producer(1024);
  auto produce = [&analyzer](EventRing& ring, ConnectionId conn, const std::string& request) {
    for (Event& e : lazy_loop_events(analyzer.hasher(), conn, request))
      ring.try_push(std::move(e));
  };
  std::thread ta(produce, std::ref(a), 1, "ra");
  std::thread tb(produce, std::ref(b), 2, "rb");
  ta.join();
  tb.join();
  EXPECT_EQ(analyzer.drain(TimePoint{} + 10h), 16U);
  const auto findings = analyzer.findings();
  ASSERT_EQ(findings.size(), 1U);  // one group: same kind, fingerprint and route
  EXPECT_EQ(findings[0].occurrences, 2U);
  EXPECT_EQ(findings[0].example_requests.size(), 2U);
  EXPECT_EQ(analyzer.counters().ring_dropped_full, 0U);
  EXPECT_EQ(analyzer.requests(10).size(), 2U);
  EXPECT_TRUE(analyzer.request("ra").has_value());
}

TEST(Analyzer, RequestsThatMayHaveLostEventsToAFullRingAreMarkedIncomplete) {
  Analyzer analyzer;
  EventRing& ring = analyzer.add_producer(4);  // far too small for the loop's 8 events
  analyzer.drain(TimePoint{} + 1h);            // a drain before the drop, as the thread does
  std::size_t pushed = 0;
  for (Event& e : lazy_loop_events(analyzer.hasher(), 1, "r1"))
    pushed += ring.try_push(std::move(e)) ? 1U : 0U;
  ASSERT_LT(pushed, 8U);
  analyzer.drain(TimePoint{} + 10h);
  const auto r = analyzer.request("r1");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->finished);
  EXPECT_TRUE(r->events_lost);
  EXPECT_FALSE(r->complete());
  EXPECT_EQ(analyzer.counters().ring_dropped_full, 8U - pushed);
}

TEST(Analyzer, ThreadDrainsAndStopFlushes) {
  Analyzer analyzer;
  EventRing& ring = analyzer.add_producer(1024);
  analyzer.start();
  for (Event& e : lazy_loop_events(analyzer.hasher(), 1, "r1"))
    ring.try_push(std::move(e));
  analyzer.stop();  // drains what is queued and ends live requests
  const auto findings = analyzer.findings();
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].latest.kind, FindingKind::n_plus_one);
  EXPECT_EQ(analyzer.counters().queries, 7U);
}

TEST(FingerprintStats, AggregatesLikePgStatStatements) {
  FingerprintStats stats(2);
  FingerprintInfo a{1, "SELECT $1", "", StatementKind::select, true};
  FingerprintInfo b{2, "SELECT $1, $2", "", StatementKind::select, true};
  FingerprintInfo c{3, "SELECT $1, $2, $3", "", StatementKind::select, true};
  const std::string unique_violation = "23505";
  stats.record(a, 1ms, 1, nullptr);
  stats.record(a, 3ms, 2, &unique_violation);
  stats.record(b, 2ms, 0, nullptr);
  stats.record(c, 5ms, 0, nullptr);  // over top-K: counted in "other"
  const FingerprintStat* s = stats.find(1);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->calls, 2U);
  EXPECT_EQ(s->rows, 3U);
  EXPECT_DOUBLE_EQ(s->total_ms, 4.0);
  EXPECT_DOUBLE_EQ(s->mean_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->min_ms, 1.0);
  EXPECT_DOUBLE_EQ(s->max_ms, 3.0);
  EXPECT_DOUBLE_EQ(s->stddev_ms(), 1.0);
  EXPECT_EQ(s->errors.at("23505"), 1U);
  EXPECT_EQ(stats.other().calls, 1U);
  const auto snap = stats.snapshot();
  ASSERT_EQ(snap.size(), 3U);
  EXPECT_EQ(snap.back().normalized, "other");
  EXPECT_EQ(to_json(snap[0]).at("latency_buckets").back().at("count").get<int>(), 2);
}

TEST(Privacy, NothingThatLeavesTheAnalyzerCarriesALiteral) {
  const ValueHasher hasher({3, 4});
  Trace t(hasher);
  t.open(1);
  t.q(1, "SELECT id FROM cards WHERE number = '4111111111111111' AND cvv = 9876543",
      {.request = "r1", .results = {"secret-row-value", "918273645"}});
  for (int i = 0; i < 6; ++i) {
    t.q(1,
        fmt::format("SELECT * FROM users WHERE email = 'hunter{}@secret.example' /* pw=hunter2 */",
                    i),
        {.request = "r1"});
  }
  for (int i = 0; i < 6; ++i) {
    t.q(1, "SELEC broken FROM t WHERE password = 'hunter2-unparsed'",
        {.request = "r1", .sqlstate = "42601"});
  }
  t.x(1, "SELECT * FROM tokens WHERE value = $1", {Param::of("tok-secret")}, {.request = "r1"});
  t.q(1, "INSERT INTO notes (body) VALUES ($body$my secret diary$body$)", {.request = "r1"});
  Engine engine(AnalyzerConfig{}, hasher);
  std::vector<std::string> logged;
  const ClockAnchor clock{t.now, std::chrono::system_clock::time_point{}};  // no stray digits
  engine.set_finding_sink(
      [&](const Finding& f, const FindingGroup&) { logged.push_back(to_json(f, clock).dump()); });
  for (const Event& e : t.events)
    engine.process(e);
  engine.flush(t.now + 5s);

  std::string everything;
  for (const auto& g : engine.findings())
    everything += to_json(g, clock).dump();
  for (const auto& r : engine.requests(100))
    everything += to_json(r, clock).dump();
  for (const auto& s : engine.fingerprints())
    everything += to_json(s).dump();
  for (const auto& c : engine.connections())
    everything += to_json(c, clock).dump();
  for (const auto& l : logged)
    everything += l;
  ASSERT_FALSE(engine.findings().empty());
  for (const char* secret : {"4111", "9876543", "hunter", "secret", "tok-", "diary", "918273645"}) {
    EXPECT_EQ(everything.find(secret), std::string::npos) << secret << " leaked in:\n"
                                                          << everything;
  }
}

}  // namespace
}  // namespace pgtally::analyzer

namespace pgtally::analyzer {
namespace {

TEST(Engine, FindingsBecomeFinalWhenTheRequestGoesIdle) {
  const ValueHasher hasher({5, 6});
  Engine engine(AnalyzerConfig{}, hasher);
  const auto events = lazy_loop_events(hasher, 1, "r1");
  TimePoint last;
  for (const Event& e : events) {
    engine.process(e);
    if (const auto* q = std::get_if<QueryEvent>(&e)) last = q->end;
  }
  engine.tick(last + 999ms);
  EXPECT_TRUE(engine.findings().empty());
  ASSERT_TRUE(engine.request("r1").has_value());
  EXPECT_FALSE(engine.request("r1")->finished);
  engine.tick(last + 1s);
  ASSERT_EQ(engine.findings().size(), 1U);
  EXPECT_TRUE(engine.request("r1")->finished);
  EXPECT_EQ(engine.request("r1")->findings.size(), 1U);
}

// A request that idles inside its transaction (the slow checkout) is not over until it commits:
// its COMMIT belongs to it, not to a second request of the same id.
TEST(Engine, ATaggedRequestHoldingATransactionStaysOneRequestUntilItCommits) {
  const ValueHasher hasher({5, 6});
  Trace t(hasher);
  Engine engine(AnalyzerConfig{}, hasher);
  t.open(1).q(1, "BEGIN /*request_id='slow'*/").tx(1, TxState::in_transaction);
  t.q(1, "UPDATE orders SET status = 'paid' WHERE id = 1 /*request_id='slow'*/");
  for (const Event& e : t.events)
    engine.process(e);
  t.events.clear();
  engine.tick(t.now + 2500ms);  // idle in transaction far past the request idle timeout
  ASSERT_TRUE(engine.request("slow").has_value());
  EXPECT_FALSE(engine.request("slow")->finished);
  t.advance(2500ms).q(1, "COMMIT /*request_id='slow'*/").tx(1, TxState::idle);
  for (const Event& e : t.events)
    engine.process(e);
  engine.tick(t.now + 1s);
  std::size_t named_slow = 0;
  for (const auto& r : engine.requests(10))
    named_slow += r.id == "slow" ? 1U : 0U;
  EXPECT_EQ(named_slow, 1U);
  ASSERT_TRUE(engine.request("slow").has_value());
  EXPECT_TRUE(engine.request("slow")->finished);
  EXPECT_EQ(engine.request("slow")->queries, 3U);
}

// Bounded: a transaction left open for good does not keep its request live forever.
TEST(Engine, ATransactionLeftOpenEndsItsRequestAfterTheInTransactionTimeout) {
  const ValueHasher hasher({5, 6});
  Trace t(hasher);
  AnalyzerConfig config;
  config.request_in_transaction_timeout = 10s;
  Engine engine(config, hasher);
  t.open(1).q(1, "BEGIN /*request_id='stuck'*/").tx(1, TxState::in_transaction);
  for (const Event& e : t.events)
    engine.process(e);
  engine.tick(t.now + 9s);
  EXPECT_FALSE(engine.request("stuck")->finished);
  engine.tick(t.now + 10s);
  EXPECT_TRUE(engine.request("stuck")->finished);
}

TEST(Engine, LiveRequestsAreBoundedAndEvictionsCounted) {
  const ValueHasher hasher({5, 6});
  AnalyzerConfig config;
  config.max_live_requests = 2;
  config.finished_requests = 2;
  Engine engine(config, hasher);
  for (int r = 0; r < 5; ++r) {
    for (const Event& e : lazy_loop_events(hasher, 1, fmt::format("r{}", r)))
      engine.process(e);
  }
  const AnalyzerCounters c = engine.counters();
  EXPECT_EQ(c.requests_evicted, 3U);
  EXPECT_LE(c.live_requests, 2U);
  EXPECT_LE(engine.requests(100).size(), 4U);
  EXPECT_EQ(engine.findings().at(0).occurrences, 3U);  // evicted requests are still analysed
}

// A stream faster than the ticks fills the live table with units that are idle by the events'
// own clock: a full table ends its least recently active sixteenth at once, and those already
// idle count as ended, not evicted.
TEST(Engine, AFullLiveTableEndsIdleUnitsInBatches) {
  const ValueHasher hasher({5, 6});
  AnalyzerConfig config;
  config.max_live_requests = 64;
  Engine engine(config, hasher);
  TimePoint t = TimePoint{} + std::chrono::hours(1);
  engine.process(ConnectionOpened{1, 1, {"app", "db", "u", "10.0.0.1"}, Source::proxy, {}});
  for (int i = 0; i < 640; ++i) {
    QueryEvent q;
    q.connection = 1;
    q.text = fmt::format("SELECT abalance FROM accounts WHERE aid = {}", i);
    q.start = t;
    q.end = t + std::chrono::microseconds(50);
    q.rows = 1;
    t += std::chrono::milliseconds(5);
    engine.process(q);
  }
  const AnalyzerCounters c = engine.counters();
  EXPECT_LE(c.live_requests, 64U);
  EXPECT_EQ(c.requests_started, 640U);
  EXPECT_EQ(c.requests_finished + c.live_requests, 640U);
  // 5 ms apart, the oldest sixteenth of 64 units (300 ms old) is past its 100 ms idle gap.
  EXPECT_EQ(c.requests_evicted, 0U);
}

TEST(Engine, UnknownPreparedStatementIsCountedNotFatal) {
  const ValueHasher hasher({5, 6});
  Engine engine(AnalyzerConfig{}, hasher);
  QueryEvent q;
  q.connection = 9;
  q.protocol = Protocol::extended;
  q.statement_name = "never_parsed";
  engine.process(q);
  EXPECT_EQ(engine.counters().unknown_statements, 1U);
}

TEST(Fingerprint, ConcurrentFirstUseFromTwoThreads) {
  // libpg_query keeps its memory context per thread: two fresh threads may start at once.
  auto work = [](std::vector<Fingerprint>* out) {
    Fingerprinter f;
    ScanResult scan;
    for (int i = 0; i < 200; ++i) {
      const std::string q = fmt::format("SELECT c{} FROM t WHERE id = {}", i % 20, i);
      scan_sql(q, scan);
      out->push_back(f.fingerprint(q, scan)->fingerprint);
    }
  };
  std::vector<Fingerprint> a;
  std::vector<Fingerprint> b;
  std::thread ta(work, &a);
  std::thread tb(work, &b);
  ta.join();
  tb.join();
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace pgtally::analyzer

namespace pgtally::analyzer {
namespace {

TEST(Engine, ProducerTagsNameTheRequestAndTheCommentAddsToThem) {
  const ValueHasher hasher({5, 6});
  Engine engine(AnalyzerConfig{}, hasher);
  QueryEvent q;
  q.connection = 3;
  q.source = Source::orm;
  q.text = "SELECT 1 /*controller='users',action='show'*/";
  q.tags = {{"request_id", "orm-1"}};
  engine.process(q);
  const auto r = engine.request("orm-1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->attribution, Attribution::tagged);
  EXPECT_EQ(r->route, "users#show");
}

}  // namespace
}  // namespace pgtally::analyzer

namespace pgtally::analyzer {
namespace {

TEST(Engine, OddEventSequencesAreHarmless) {
  const ValueHasher hasher({7, 8});
  AnalyzerConfig config;
  config.max_live_requests = 8;
  config.ledger.max_fingerprints = 4;
  config.ledger.max_tracked_values = 16;
  Engine engine(config, hasher);
  std::uint64_t x = 88172645463325252ULL;  // xorshift: deterministic
  auto next = [&x] {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    return x;
  };
  const char* texts[] = {"SELECT * FROM t WHERE id = 1",
                         "BEGIN",
                         "COMMIT",
                         "ROLLBACK",
                         "SELEC 'x",
                         "/*request_id='a'*/",
                         "SELECT $1",
                         "",
                         "INSERT INTO t VALUES (1),(2)",
                         "SELECT 1 /*request_id='r',db_pool_wait_ms='-3'*/"};
  TimePoint t = TimePoint{} + std::chrono::hours(1);
  for (int i = 0; i < 20000; ++i) {
    const auto conn = static_cast<ConnectionId>(next() % 5);
    t += std::chrono::microseconds(next() % 300000);
    switch (next() % 8) {
      case 0:
        engine.process(ConnectionOpened{conn, 1, {"u", "d", "a", "h"}, Source::proxy, t});
        break;
      case 1:
        engine.process(ConnectionClosed{conn, CloseReason::server_closed, t});
        break;
      case 2:
        engine.process(TransactionStateChanged{conn, static_cast<TxState>(next() % 3), t});
        break;
      case 3:
        engine.process(QueryStarted{conn, t});
        break;
      case 4:
        engine.tick(t);
        break;
      default: {
        QueryEvent q;
        q.connection = conn;
        q.protocol = next() % 2 == 0 ? Protocol::simple : Protocol::extended;
        q.text = texts[next() % std::size(texts)];
        q.statement_name = next() % 3 == 0 ? "s" : "";
        q.start = t;
        q.end =
            next() % 10 == 0 ? t - std::chrono::milliseconds(5) : t + std::chrono::milliseconds(1);
        q.sampled_values = {{next(), 0, 0}, {next(), 0, 1}};
        if (next() % 7 == 0) q.error = ServerError{"bad", "", "", "", ""};
        if (next() % 5 == 0) q.parameters.push_back(Parameter{false, 0, 0, next(), 3, {next()}});
        engine.process(q);
      }
    }
  }
  engine.flush(t);
  const AnalyzerCounters c = engine.counters();
  EXPECT_EQ(c.live_requests, 0U);
  EXPECT_GT(c.queries, 0U);
}

}  // namespace
}  // namespace pgtally::analyzer
