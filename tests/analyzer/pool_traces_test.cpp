// Pool traces: each connection-level trace with the pool findings it must raise, and the
// healthy and busy-but-not-saturated negatives.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "analyzer/engine.hpp"
#include "trace.hpp"

namespace pgtally::analyzer {
namespace {

using namespace std::chrono_literals;
using testing::QueryOptions;
using testing::Trace;

struct PoolCase {
  std::string name;
  std::function<void(Trace&, Engine&)> run;  // feeds the engine itself (with ticks)
  std::vector<FindingKind> expected;
  std::function<AnalyzerConfig()> config = [] { return AnalyzerConfig{}; };
  std::function<void(const std::vector<Finding>&)> check = nullptr;
};

void feed(Trace& t, Engine& e) {
  for (const Event& ev : t.events)
    e.process(ev);
  t.events.clear();
}

// Each of `n` connections runs back-to-back statements of `busy` then idles `idle`, starting
// `stagger` apart, until `until`; ticks every 100 ms.
void run_load(Trace& t, Engine& e, int n, std::chrono::milliseconds busy,
              std::chrono::milliseconds idle, std::chrono::milliseconds stagger,
              std::chrono::milliseconds until) {
  const TimePoint begin = t.now;
  std::vector<TimePoint> next(static_cast<std::size_t>(n));
  for (int c = 0; c < n; ++c)
    next[static_cast<std::size_t>(c)] = begin + c * stagger;
  for (TimePoint tick = begin; tick < begin + until; tick += 100ms) {
    for (int c = 0; c < n; ++c) {
      auto& at = next[static_cast<std::size_t>(c)];
      while (at + busy <= tick + 100ms) {
        QueryEvent q;
        q.connection = static_cast<ConnectionId>(c + 1);
        q.text = "SELECT * FROM items WHERE id = $1";
        q.protocol = Protocol::extended;
        q.start = at;
        q.end = at + busy;
        e.process(q);
        at += busy + idle;
      }
    }
    e.tick(tick + 100ms);
  }
  t.now = begin + until;
}

const std::vector<PoolCase>& cases() {
  static const std::vector<PoolCase> kCases = {
      {"SaturatedPool",
       [](Trace& t, Engine& e) {
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         feed(t, e);
         run_load(t, e, 4, 50ms, 0ms, 0ms, 7000ms);
       },
       {FindingKind::pool_saturation},
       [] { return AnalyzerConfig{}; },
       [](const std::vector<Finding>& f) {
         EXPECT_EQ(f[0].group, "app@shop/web@10.0.0.1");
         EXPECT_EQ(f[0].evidence.at("connections").get<int>(), 4);
       }},
      {"HealthyPoolAtLowLoad",
       [](Trace& t, Engine& e) {
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         feed(t, e);
         run_load(t, e, 4, 5ms, 195ms, 50ms, 12000ms);
       },
       {}},
      {"BusyPoolThatIsNotSaturated",
       [](Trace& t, Engine& e) {
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         feed(t, e);
         run_load(t, e, 4, 350ms, 150ms, 125ms, 12000ms);
       },
       {}},
      {"IdleInTransactionSeenAtTheNextStatement",
       [](Trace& t, Engine& e) {
         t.open(1);
         t.q(1, "BEGIN", {.request = "r1"});
         t.tx(1, TxState::in_transaction);
         t.q(1, "SELECT * FROM accounts WHERE id = 1 FOR UPDATE", {.request = "r1", .gap = 3s});
         t.q(1, "COMMIT", {.request = "r1"});
         t.tx(1, TxState::idle);
         feed(t, e);
       },
       {FindingKind::idle_in_transaction},
       [] { return AnalyzerConfig{}; },
       [](const std::vector<Finding>& f) {
         EXPECT_EQ(f[0].request_id, "r1");
         EXPECT_GE(f[0].evidence.at("idle_ms").get<double>(), 3000.0);
       }},
      {"IdleInTransactionSeenByTheTimer",
       [](Trace& t, Engine& e) {
         t.open(1);
         t.events.emplace_back(QueryStarted{1, t.now});
         t.q(1, "BEGIN", {.request = "r1"});
         t.tx(1, TxState::in_transaction);
         feed(t, e);
         e.tick(t.now + 1s);
         e.tick(t.now + 2500ms);
       },
       {FindingKind::idle_in_transaction}},
      {"LongStatementInTransactionIsNotIdle",
       [](Trace& t, Engine& e) {
         t.open(1);
         t.events.emplace_back(QueryStarted{1, t.now});
         t.q(1, "BEGIN", {.request = "r1"});
         t.tx(1, TxState::in_transaction);
         t.events.emplace_back(QueryStarted{1, t.now});
         feed(t, e);
         e.tick(t.now + 5s);  // the statement is still running
         t.q(1, "SELECT pg_sleep(5)", {.request = "r1", .duration = 5s});
         t.q(1, "COMMIT", {.request = "r1"});
         t.tx(1, TxState::idle);
         feed(t, e);
       },
       {}},
      {"ConnectionChurn",
       [](Trace& t, Engine& e) {
         for (ConnectionId c = 1; c <= 12; ++c) {
           t.open(c);
           t.q(c, "SELECT 1");
           t.advance(50ms);
           t.close(c);
           t.advance(200ms);
         }
         feed(t, e);
       },
       {FindingKind::connection_churn},
       [] { return AnalyzerConfig{}; },
       [](const std::vector<Finding>& f) {
         EXPECT_LT(f[0].evidence.at("median_lifetime_ms").get<double>(), 100.0);
       }},
      {"LongLivedPoolIsNotChurn",
       [](Trace& t, Engine& e) {
         for (ConnectionId c = 1; c <= 12; ++c)
           t.open(c);
         t.advance(30s);
         for (ConnectionId c = 1; c <= 12; ++c)
           t.close(c);
         feed(t, e);
       },
       {}},
      {"NestedConnection",
       [](Trace& t, Engine& e) {
         t.open(1);
         t.open(2);
         t.q(1, "BEGIN", {.request = "r1"});
         t.tx(1, TxState::in_transaction);
         t.q(1, "UPDATE orders SET state = 'paid' WHERE id = 1", {.request = "r1"});
         t.q(2, "SELECT * FROM stock WHERE product_id = 3", {.request = "r1"});
         t.q(1, "COMMIT", {.request = "r1"});
         t.tx(1, TxState::idle);
         feed(t, e);
       },
       {FindingKind::nested_connection},
       [] { return AnalyzerConfig{}; },
       [](const std::vector<Finding>& f) {
         EXPECT_EQ(f[0].request_id, "r1");
         EXPECT_EQ(f[0].evidence.at("holding_connection").get<int>(), 1);
       }},
      {"TwoRequestsOnTwoConnectionsAreNotNested",
       [](Trace& t, Engine& e) {
         t.open(1);
         t.open(2);
         t.q(1, "BEGIN", {.request = "r1"});
         t.tx(1, TxState::in_transaction);
         t.q(2, "SELECT * FROM stock WHERE product_id = 3", {.request = "r2"});
         t.q(1, "COMMIT", {.request = "r1"});
         t.tx(1, TxState::idle);
         t.q(2, "SELECT * FROM stock WHERE product_id = 4", {.request = "r1"});
         feed(t, e);
       },
       {}},
      {"ServerRefusals",
       [](Trace& t, Engine& e) {
         e.process(ServerRefusal{7, t.group, Refuser::server, t.now});
         e.process(ServerRefusal{8, t.group, Refuser::pgtally, t.now});
       },
       {FindingKind::server_refusal, FindingKind::server_refusal}},
      {"GroupAtTheServerLimit",
       [](Trace& t, Engine& e) {
         for (ConnectionId c = 1; c <= 5; ++c)
           t.open(c);
         feed(t, e);
       },
       {FindingKind::pool_saturation},
       [] {
         AnalyzerConfig c;
         c.pool.server_max_connections = 5;
         return c;
       }},
      {"OrmReportedPoolWaits",
       [](Trace& t, Engine& e) {
         e.process(PoolWait{t.group, "r1", 250ms, 10, 3, 10, t.now});
         t.open(1);
         t.advance(10s);
         t.q(1, "SELECT 1 /*request_id='r2',db_pool_wait_ms='300'*/");
         t.q(1, "SELECT 1 /*request_id='r3',db_pool_wait_ms='2'*/");
         feed(t, e);
       },
       {FindingKind::pool_saturation, FindingKind::pool_saturation}},
  };
  return kCases;
}

class PoolTraces : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolTraces, RaiseExactlyTheExpectedFindings) {
  const PoolCase& c = GetParam();
  const ValueHasher hasher({1, 2});
  Trace trace(hasher);
  Engine engine(c.config(), hasher);
  std::vector<Finding> findings;
  engine.set_finding_sink([&](const Finding& f, const FindingGroup&) { findings.push_back(f); });
  c.run(trace, engine);
  engine.flush(trace.now);
  std::vector<FindingKind> got;
  std::vector<Finding> pool_findings;
  std::string described;
  for (const Finding& f : findings) {
    if (is_pool_kind(f.kind)) {
      got.push_back(f.kind);
      pool_findings.push_back(f);
    }
    described += fmt::format("  {} {} {}\n", to_string(f.kind), f.group, f.evidence.dump());
  }
  std::vector<FindingKind> want = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  ASSERT_EQ(got, want) << described;
  if (c.check) c.check(pool_findings);
}

INSTANTIATE_TEST_SUITE_P(Traces, PoolTraces, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<PoolCase>& p) { return p.param.name; });

}  // namespace
}  // namespace pgtally::analyzer
