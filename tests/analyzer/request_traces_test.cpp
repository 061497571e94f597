// Table-driven request traces: each trace with the findings it must raise, positives and
// negatives alike (a false positive is a bug like any other).
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
using testing::ids;
using testing::Param;
using testing::QueryOptions;
using testing::Trace;

struct Outcome {
  std::vector<Finding> findings;  // every occurrence, in order
  Engine* engine = nullptr;
  Finding none;  // what first() returns when the kind is missing (its checks then fail)
  [[nodiscard]] const Finding& first(FindingKind kind) const {
    for (const Finding& f : findings) {
      if (f.kind == kind) return f;
    }
    return none;
  }
};

struct TraceCase {
  std::string name;
  std::function<void(Trace&)> build;
  std::vector<FindingKind> expected;  // kinds of every occurrence, any order
  std::function<void(const Outcome&)> check = nullptr;
};

std::string describe(const Trace& trace, const Outcome& outcome) {
  std::string out = "trace:\n";
  for (const Event& e : trace.events) {
    if (const auto* q = std::get_if<QueryEvent>(&e)) {
      out += fmt::format("  conn {} {}: {}\n", q->connection,
                         q->protocol == Protocol::simple ? "Q" : "X", q->text);
    }
  }
  out += "findings:\n";
  for (const Finding& f : outcome.findings) {
    out += fmt::format("  {} [{}] request={} count={} fp={} {}\n", to_string(f.kind),
                       to_string(f.attribution), f.request_id, f.count,
                       fingerprint_hex(f.fingerprint), f.normalized);
  }
  return out;
}

// The author's posts, then one comment query per post.
void lazy_loop(Trace& t, const std::string& request, ConnectionId conn = 1, int posts = 10) {
  QueryOptions parent{.request = request, .results = ids(1, posts)};
  t.q(conn, "SELECT id, title FROM posts WHERE author_id = 7", parent);
  for (int i = 1; i <= posts; ++i) {
    t.q(conn, fmt::format("SELECT * FROM comments WHERE post_id = {}", i), {.request = request});
  }
}

const std::vector<TraceCase>& cases() {
  static const std::vector<TraceCase> kCases = {
      {"LazyLoopIsNPlusOne",
       [](Trace& t) {
         t.open(1);
         lazy_loop(t, "r1");
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         const Finding* f = &o.first(FindingKind::n_plus_one);
         EXPECT_EQ(f->count, 10U);
         EXPECT_EQ(f->round_trips_saved, 9U);
         EXPECT_EQ(f->attribution, Attribution::tagged);
         EXPECT_EQ(f->route, "/posts");
         EXPECT_EQ(f->request_id, "r1");
         EXPECT_NE(f->parent, 0U);
         EXPECT_NE(f->parent_normalized.find("FROM posts"), std::string::npos);
         EXPECT_NE(f->fix.find("post_id = ANY($1)"), std::string::npos) << f->fix;
         EXPECT_GT(f->time_saved.count(), 0);
       }},
      {"NestedNPlusOneTwoLevelsInterleaved",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 3", {.request = "r1", .results = ids(1, 6)});
         for (int p = 1; p <= 6; ++p) {
           const std::string c1 = std::to_string(100 + 2 * p);
           const std::string c2 = std::to_string(101 + 2 * p);
           const std::string a1 = std::to_string(1000 + p);
           const std::string a2 = std::to_string(2000 + p);
           t.q(1, fmt::format("SELECT id, author_id FROM comments WHERE post_id = {}", p),
               {.request = "r1", .results = {c1, a1, c2, a2}, .columns = 2});
           t.q(1, fmt::format("SELECT name FROM users WHERE id = {}", a1), {.request = "r1"});
           t.q(1, fmt::format("SELECT name FROM users WHERE id = {}", a2), {.request = "r1"});
         }
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         for (const Finding& f : o.findings) {
           EXPECT_NE(f.parent, 0U) << f.normalized;
           if (f.normalized.find("users") != std::string::npos) {
             EXPECT_EQ(f.count, 12U);
             EXPECT_NE(f.parent_normalized.find("comments"), std::string::npos);
           } else {
             EXPECT_EQ(f.count, 6U);
             EXPECT_NE(f.parent_normalized.find("posts"), std::string::npos);
           }
         }
       }},
      {"ConcurrentLookupsOfOneRequest",  // Promise.all over four pooled connections
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         t.q(1, "SELECT id FROM products WHERE featured = true",
             {.request = "r1", .results = ids(11, 18)});
         t.concurrent_start();
         for (int i = 11; i <= 18; ++i) {
           t.x(1 + static_cast<ConnectionId>(i % 4), "SELECT * FROM prices WHERE product_id = $1",
               {Param::of(std::to_string(i))}, {.request = "r1", .duration = 3ms});
         }
         t.concurrent_end(4ms);
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         const Finding* f = &o.first(FindingKind::n_plus_one);
         EXPECT_TRUE(f->evidence.at("concurrent").get<bool>());
         EXPECT_EQ(f->evidence.at("connections").get<int>(), 4);
       }},
      {"NPlusOneSpreadAcrossPooledConnections",
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 3; ++c)
           t.open(c);
         t.q(1, "SELECT id FROM orders WHERE customer_id = 9",
             {.request = "r1", .results = ids(50, 58)});
         for (int i = 50; i <= 58; ++i) {
           t.x(1 + static_cast<ConnectionId>(i % 3),
               "SELECT * FROM order_items WHERE order_id = $1", {Param::of(std::to_string(i))},
               {.request = "r1"});
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         const Finding* f = &o.first(FindingKind::n_plus_one);
         EXPECT_EQ(f->evidence.at("connections").get<int>(), 3);
         EXPECT_NE(f->parent, 0U);
       }},
      {"EagerLoadWithJoinIsNotNPlusOne",
       [](Trace& t) {
         t.open(1);
         t.q(1,
             "SELECT p.id, p.title, c.id, c.body FROM posts p LEFT JOIN comments c ON c.post_id = "
             "p.id WHERE p.author_id = 7",
             {.request = "r1", .results = ids(1, 30), .rows = 30});
       },
       {}},
      {"InAndAnyBatchesAreNotNPlusOne",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id FROM posts WHERE author_id = 7",
             {.request = "r1", .results = ids(1, 10)});
         t.q(1, "SELECT * FROM comments WHERE post_id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)",
             {.request = "r1"});
         t.x(1, "SELECT * FROM likes WHERE post_id = ANY($1)", {Param::arr(ids(1, 10))},
             {.request = "r1"});
       },
       {},
       [](const Outcome& o) {
         const auto r = o.engine->request("r1");
         ASSERT_TRUE(r.has_value());
         ASSERT_EQ(r->by_fingerprint.size(), 3U);
         EXPECT_EQ(r->by_fingerprint[1].largest_batch, 10U);
         EXPECT_EQ(r->by_fingerprint[2].largest_batch, 10U);
       }},
      {"LoopOfFiveAnyBatchesOfHundredIds",
       [](Trace& t) {
         t.open(1);
         for (int b = 0; b < 5; ++b) {
           t.x(1, "SELECT * FROM items WHERE id = ANY($1)",
               {Param::arr(ids(b * 100 + 1, b * 100 + 100))}, {.request = "r1", .rows = 100});
         }
       },
       {}},
      {"SeparateQueryEagerLoad",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id, author_id FROM posts WHERE blog_id = 3",
             {.request = "r1", .results = ids(1, 20)});
         t.q(1, "SELECT * FROM comments WHERE post_id IN (1,2,3,4,5,6,7,8,9,10,11,12)",
             {.request = "r1"});
         t.q(1, "SELECT * FROM users WHERE id = ANY('{3,4,5,6}'::int[])", {.request = "r1"});
         t.q(1, "SELECT * FROM tags WHERE post_id = ANY(ARRAY[1,2,3,4,5])", {.request = "r1"});
       },
       {}},
      {"OffsetPaginationOfSixPages",
       [](Trace& t) {
         t.open(1);
         for (int page = 0; page < 6; ++page) {
           t.q(1,
               fmt::format(
                   "SELECT * FROM products WHERE category_id = 3 ORDER BY id LIMIT 20 OFFSET {}",
                   page * 20),
               {.request = "r1", .results = ids(page * 20 + 1, page * 20 + 20)});
         }
       },
       {}},
      {"KeysetPagination",
       [](Trace& t) {
         t.open(1);
         for (int page = 0; page < 6; ++page) {
           t.x(1, "SELECT id FROM products WHERE id > $1 ORDER BY id LIMIT 20",
               {Param::of(std::to_string(page * 20))},
               {.request = "r1", .results = ids(page * 20 + 1, page * 20 + 20)});
         }
         // The same with an equality filter and the cursor from the previous page.
         for (int page = 0; page < 6; ++page) {
           t.x(1, "SELECT id FROM products WHERE category_id = $1 AND id > $2 ORDER BY id LIMIT 20",
               {Param::of("3"), Param::of(std::to_string(page * 20))},
               {.request = "r2", .results = ids(page * 20 + 1, page * 20 + 20)});
         }
       },
       {}},
      {"PollingAcrossRequests",
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 8; ++i) {
           t.q(1, "SELECT * FROM jobs WHERE status = 'pending' ORDER BY id LIMIT 10",
               {.request = fmt::format("poll-{}", i), .gap = 2s});
         }
         for (int i = 0; i < 8; ++i) {  // the same, untagged: separate bursts
           t.q(1, "SELECT * FROM jobs WHERE status = 'pending' ORDER BY id LIMIT 10",
               {.gap = 500ms});
         }
       },
       {}},
      {"LegitimateIdenticalRepeats",
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 6; ++i) {  // the session user, once per request
           t.q(1, "SELECT * FROM users WHERE id = 42",
               {.request = fmt::format("req-{}", i), .gap = 2s});
         }
         for (int i = 0; i < 6; ++i) {  // transaction control repeats by nature
           t.q(1, "BEGIN", {.request = "batch"});
           t.q(1, "SAVEPOINT s1", {.request = "batch"});
           t.q(1, "RELEASE SAVEPOINT s1", {.request = "batch"});
           t.q(1, "COMMIT", {.request = "batch"});
         }
         for (int i = 0; i < 6; ++i) {  // read after own write: the result may differ
           t.q(1, "UPDATE counters SET n = n + 1 WHERE id = 1",
               {.request = fmt::format("w-{}", i)});
           t.q(1, "SELECT n FROM counters WHERE id = 1",
               {.request = fmt::format("w-{}", i), .gap = 2s});
         }
       },
       {}},
      {"IdenticalQueryRepeatedInOneRequest",
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 6; ++i) {
           t.q(1, "SELECT value FROM settings WHERE key = 'currency'", {.request = "r1"});
         }
       },
       {FindingKind::repeated_query}},
      {"PoolValidationQueriesAreNotRepeats",  // `SELECT 1` on every checkout, untagged
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 6; ++i) {
           t.q(1, "SELECT 1");
           t.q(1, fmt::format("SELECT * FROM table_{} WHERE id = 3", i), {.request = "r1"});
         }
       },
       {}},
      {"BulkInsertLoop",
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 10; ++i) {
           t.q(1,
               fmt::format("INSERT INTO order_items (order_id, product_id, qty) VALUES (5, {}, 1)",
                           i),
               {.request = "r1"});
         }
         t.q(1, "INSERT INTO audit (a, b) VALUES (1, 2), (3, 4), (5, 6)", {.request = "r1"});
       },
       {FindingKind::bulk_write_loop},
       [](const Outcome& o) {
         const Finding* f = &o.first(FindingKind::bulk_write_loop);
         EXPECT_EQ(f->count, 10U);
         EXPECT_NE(f->fix.find("multi-row"), std::string::npos);
       }},
      {"TwoInterleavedRequestsOnOneConnection",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id FROM posts WHERE author_id = 7", {.request = "A", .results = ids(1, 6)});
         t.q(1, "SELECT * FROM carts WHERE user_id = 3", {.request = "B", .route = "/cart"});
         for (int i = 1; i <= 6; ++i) {
           t.q(1, fmt::format("SELECT * FROM comments WHERE post_id = {}", i), {.request = "A"});
           if (i <= 4) {
             t.q(1, fmt::format("SELECT * FROM cart_items_{} WHERE cart_id = 3", i),
                 {.request = "B", .route = "/cart"});
           }
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         EXPECT_EQ(o.first(FindingKind::n_plus_one).request_id, "A");
         EXPECT_EQ(o.engine->request("A")->queries, 7U);
         EXPECT_EQ(o.engine->request("B")->queries, 5U);
         EXPECT_EQ(o.engine->request("B")->route, "/cart");
       }},
      {"PreparedStatementExecutedManyTimesInALoop",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id FROM posts WHERE author_id = 7",
             {.request = "r1", .results = ids(1, 8)});
         for (int i = 1; i <= 8; ++i) {
           t.x(1, "SELECT * FROM comments WHERE post_id = $1", {Param::of(std::to_string(i))},
               {.request = "r1", .statement_name = "s1", .omit_text = i > 1});
         }
       },
       {FindingKind::n_plus_one}},
      {"PreparedStatementAcrossRequestsWithDifferentParameters",
       [](Trace& t) {
         t.open(1);
         for (int i = 1; i <= 20; ++i) {
           t.x(1,
               "SELECT * FROM products WHERE id = $1 /*request_id='r" + std::to_string(i) + "'*/",
               {Param::of(std::to_string(i))}, {.gap = 2s, .statement_name = "get_product"});
         }
       },
       {},
       [](const Outcome& o) { EXPECT_EQ(o.engine->requests(100).size(), 20U); }},
      {"UntaggedBeginAndSavepointInsideTaggedRequest",
       [](Trace& t) {
         t.open(1);
         t.q(1, "BEGIN");
         t.tx(1, TxState::in_transaction);
         t.q(1, "SELECT * FROM accounts WHERE id = 1 FOR UPDATE", {.request = "r1"});
         t.q(1, "SAVEPOINT s1");
         t.q(1, "INSERT INTO ledger (account_id, amount) VALUES (1, 10)", {.request = "r1"});
         t.q(1, "RELEASE SAVEPOINT s1");
         t.q(1, "COMMIT");
         t.tx(1, TxState::idle);
       },
       {},
       [](const Outcome& o) {
         const auto all = o.engine->requests(100);
         ASSERT_EQ(all.size(), 1U);
         EXPECT_EQ(all[0].id, "r1");
         EXPECT_EQ(all[0].attribution, Attribution::tagged);
         EXPECT_EQ(all[0].queries, 6U);
         EXPECT_EQ(all[0].transactions, 1U);
       }},
      {"UntaggedLazyLoopIsInferredNPlusOne",
       [](Trace& t) {
         t.open(1);
         lazy_loop(t, "", 1, 8);
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         EXPECT_EQ(o.first(FindingKind::n_plus_one).attribution, Attribution::inferred);
       }},
      {"UntaggedIndependentPointLookupsWithoutGap",  // what pgbench -S sends
       [](Trace& t) {
         t.open(1);
         unsigned aid = 12345;
         for (int i = 0; i < 200; ++i) {
           aid = (aid * 1103515245U + 12345U) % 100000U;
           t.q(1, fmt::format("SELECT abalance FROM pgbench_accounts WHERE aid = {};", aid + 1),
               {.results = {"0"}, .duration = 100us, .gap = 20us});
         }
       },
       {},  // no statement links another: 200 units of one, never one merged stream
       [](const Outcome& o) {
         EXPECT_EQ(o.engine->requests(1000).size(), 200U);
         EXPECT_EQ(o.engine->counters().requests_cut, 0U);
       }},
      {"UntaggedPgbenchTransactionsWithoutGap",  // pgbench's default TPC-B-like script
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 50; ++i) {
           const QueryOptions fast{.duration = 100us, .gap = 10us};
           const int aid = (i * 7919) % 100000 + 1;
           t.q(1, "BEGIN;", fast);
           t.q(1,
               fmt::format("UPDATE pgbench_accounts SET abalance = abalance + {} WHERE aid = {};",
                           i, aid),
               fast);
           t.q(1, fmt::format("SELECT abalance FROM pgbench_accounts WHERE aid = {};", aid), fast);
           t.q(1,
               fmt::format("UPDATE pgbench_tellers SET tbalance = tbalance + {} WHERE tid = {};", i,
                           i % 10),
               fast);
           t.q(1,
               fmt::format("UPDATE pgbench_branches SET bbalance = bbalance + {} WHERE bid = 1;",
                           i),
               fast);
           t.q(1,
               fmt::format("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ({}, "
                           "1, {}, {}, "
                           "CURRENT_TIMESTAMP);",
                           i % 10, aid, i),
               fast);
           t.q(1, "END;", fast);
         }
       },
       {},
       [](const Outcome& o) { EXPECT_EQ(o.engine->requests(100).size(), 50U); }},
      {"TraceparentNamesTheRequest",  // no request_id: the W3C trace id is the request id
       [](Trace& t) {
         t.open(1);
         const std::string tp =
             " /"
             "*route='%2Fposts',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-"
             "01'*/";
         t.q(1, "SELECT id FROM posts WHERE author_id = 7" + tp, {.results = ids(1, 5)});
         for (int i = 1; i <= 5; ++i) {
           t.q(1, fmt::format("SELECT * FROM comments WHERE post_id = {}", i) + tp, {.gap = 300ms});
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         const Finding& f = o.first(FindingKind::n_plus_one);
         EXPECT_EQ(f.request_id, "4bf92f3577b34da6a3ce929d0e0e4736");
         EXPECT_EQ(f.attribution, Attribution::tagged);
         EXPECT_EQ(f.route, "/posts");
       }},
      {"UntaggedTransactionsAreCutAtBeginAndCommit",
       [](Trace& t) {
         t.open(1);
         for (int i = 0; i < 3; ++i) {
           t.q(1, "BEGIN", {.gap = 10us});
           t.q(1, fmt::format("UPDATE accounts SET balance = balance - 1 WHERE id = {}", i),
               {.gap = 10us});
           t.q(1, "COMMIT", {.gap = 10us});
         }
       },
       {},
       [](const Outcome& o) { EXPECT_EQ(o.engine->requests(100).size(), 3U); }},
  };
  return kCases;
}

class RequestTraces : public ::testing::TestWithParam<TraceCase> {};

TEST_P(RequestTraces, RaiseExactlyTheExpectedFindings) {
  const TraceCase& c = GetParam();
  const ValueHasher hasher({0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL});
  Trace trace(hasher);
  c.build(trace);
  Engine engine(AnalyzerConfig{}, hasher);
  Outcome outcome;
  outcome.engine = &engine;
  engine.set_finding_sink(
      [&](const Finding& f, const FindingGroup&) { outcome.findings.push_back(f); });
  for (const Event& e : trace.events)
    engine.process(e);
  engine.tick(trace.now + 5s);
  engine.flush(trace.now + 5s);

  std::vector<FindingKind> got;
  for (const Finding& f : outcome.findings)
    got.push_back(f.kind);
  std::vector<FindingKind> want = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want) << describe(trace, outcome);
  if (c.check && got == want) c.check(outcome);
}

INSTANTIATE_TEST_SUITE_P(Traces, RequestTraces, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<TraceCase>& p) { return p.param.name; });

}  // namespace
}  // namespace pgtally::analyzer
