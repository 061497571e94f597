// Untagged traffic under load, as table-driven traces: statements of many requests interleaved
// on pooled connections with no idle gap, which the attributor must group by cause (transactions
// and values that link statements) into units, and the units the detectors then judge.
#include <algorithm>
#include <functional>
#include <map>
#include <set>
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
  std::vector<Finding> findings;
  std::vector<RequestSummary> units;  // every request, finished
  [[nodiscard]] std::vector<const Finding*> of(FindingKind kind) const {
    std::vector<const Finding*> out;
    for (const Finding& f : findings) {
      if (f.kind == kind) out.push_back(&f);
    }
    return out;
  }
  [[nodiscard]] std::uint64_t largest() const {
    std::uint64_t n = 0;
    for (const auto& u : units)
      n = std::max(n, u.queries);
    return n;
  }
  [[nodiscard]] std::multiset<std::uint64_t> sizes() const {
    std::multiset<std::uint64_t> out;
    for (const auto& u : units)
      out.insert(u.queries);
    return out;
  }
};

struct UntaggedCase {
  std::string name;
  std::function<void(Trace&)> build;
  std::vector<FindingKind> expected;
  std::function<void(const Outcome&)> check = nullptr;
  bool value_sampling = true;
};

const QueryOptions kFast{.duration = 200us, .gap = 20us};

QueryOptions fast_with(std::vector<std::string> results, std::uint16_t columns = 1) {
  QueryOptions o = kFast;
  o.results = std::move(results);
  o.columns = columns;
  return o;
}

std::string describe(const Trace& trace, const Outcome& o) {
  std::string out = "trace:\n";
  for (const Event& e : trace.events) {
    if (const auto* q = std::get_if<QueryEvent>(&e)) {
      out += fmt::format("  conn {}: {}\n", q->connection, q->text);
    }
  }
  out += "units:\n";
  for (const auto& u : o.units) {
    out += fmt::format("  {} [{}] {} statements, {} links\n", u.id, to_string(u.basis), u.queries,
                       u.links);
  }
  out += "findings:\n";
  for (const Finding& f : o.findings) {
    out += fmt::format("  {} request={} count={} {} <- {}\n", to_string(f.kind), f.request_id,
                       f.count, f.normalized, f.parent_normalized);
  }
  return out;
}

// A list of posts, then one comments lookup per post, all on `conn`; ids from `first`.
void posts_then_comments(Trace& t, ConnectionId conn, int first, int posts) {
  t.q(conn, "SELECT id, title FROM posts WHERE blog_id = 3",
      fast_with(ids(first, first + posts - 1)));
  for (int p = first; p < first + posts; ++p) {
    t.q(conn, fmt::format("SELECT * FROM comments WHERE post_id = {}", p), kFast);
  }
}

const std::vector<UntaggedCase>& cases() {
  static const std::vector<UntaggedCase> kCases = {
      {"BackToBackRequestsOnOneBusyConnectionStayApart",
       [](Trace& t) {
         t.open(1);
         for (int r = 0; r < 12; ++r)
           posts_then_comments(t, 1, 100 + r * 10, 6);
       },
       std::vector<FindingKind>(12, FindingKind::n_plus_one),
       [](const Outcome& o) {
         EXPECT_EQ(o.units.size(), 12U);
         EXPECT_EQ(o.largest(), 7U);
         for (const Finding* f : o.of(FindingKind::n_plus_one)) {
           EXPECT_EQ(f->count, 6U);
           EXPECT_EQ(f->attribution, Attribution::inferred);
           EXPECT_NE(f->parent_normalized.find("FROM posts"), std::string::npos);
         }
       }},
      {"CursorsReadInPartsWithLookupsOnOtherConnectionsAreOneUnitEach",
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         // Two requests stream their lists through cursors on connections 1 and 2, four rows
         // a part, and look each row up on connections 3 and 4 while the cursor stays open.
         for (int part = 0; part < 3; ++part) {
           for (int user = 0; user < 2; ++user) {
             QueryOptions o = kFast;
             o.suspended = part < 2;
             o.resumed = part > 0;
             const int first = 100 * (user + 1) + 4 * part;
             if (part < 2) o.results = ids(first, first + 3);
             o.rows = o.results.size();
             t.x(ConnectionId{1} + static_cast<ConnectionId>(user),
                 "SELECT id, title FROM posts WHERE blog_id = $1",
                 {Param::of(std::to_string(user + 1))}, o);
           }
           if (part == 2) break;
           for (int row = 0; row < 4; ++row) {
             for (int user = 0; user < 2; ++user) {
               const int post = 100 * (user + 1) + 4 * part + row;
               t.x(ConnectionId{3} + static_cast<ConnectionId>((row + user) % 2),
                   "SELECT id, body FROM comments WHERE post_id = $1",
                   {Param::of(std::to_string(post))}, kFast);
             }
           }
         }
       },
       std::vector<FindingKind>(2, FindingKind::n_plus_one),
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{11, 11}));
         for (const Finding* f : o.of(FindingKind::n_plus_one)) {
           EXPECT_EQ(f->count, 8U);
           EXPECT_NE(f->parent_normalized.find("FROM posts"), std::string::npos);
         }
       }},
      {"ParentWhoseChildrenRunOnThreeConnections",
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 3; ++c)
           t.open(c);
         t.q(1, "SELECT id FROM orders WHERE customer_id = 9", fast_with(ids(50, 58)));
         for (int i = 50; i <= 58; ++i) {
           t.x(1 + static_cast<ConnectionId>(i % 3),
               "SELECT * FROM order_items WHERE order_id = $1", {Param::of(std::to_string(i))},
               kFast);
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.units[0].queries, 10U);
         EXPECT_EQ(o.units[0].connections.size(), 3U);
         EXPECT_EQ(o.units[0].basis, UnitBasis::causal);
         EXPECT_EQ(o.of(FindingKind::n_plus_one)[0]->evidence.at("connections").get<int>(), 3);
       }},
      {"AmbiguousParentsPreferTheSameConnection",  // two users list the same posts at once
       [](Trace& t) {
         t.open(1).open(2);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         t.q(2, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         for (int p = 1; p <= 6; ++p) {
           for (ConnectionId c = 1; c <= 2; ++c)
             t.q(c, fmt::format("SELECT * FROM comments WHERE post_id = {}", p), kFast);
         }
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 2U);
         for (const auto& u : o.units) {
           EXPECT_EQ(u.queries, 7U);
           EXPECT_EQ(u.connections.size(), 1U) << "children stay with their connection's parent";
         }
       }},
      {"AmbiguousParentsOnOtherConnectionsOwnEachRowOnce",  // a pool that spreads requests
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         t.q(2, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         for (int p = 1; p <= 6; ++p) {
           t.q(3, fmt::format("SELECT * FROM comments WHERE post_id = {}", p), kFast);
           t.q(4, fmt::format("SELECT * FROM comments WHERE post_id = {}", p), kFast);
         }
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 2U) << "each list's rows parent one comments lookup each";
         for (const auto& u : o.units)
           EXPECT_EQ(u.queries, 7U);
         for (const Finding* f : o.of(FindingKind::n_plus_one)) {
           EXPECT_EQ(f->count, 6U);
           EXPECT_EQ(f->evidence.at("distinct_keys").get<int>(), 6);
         }
       }},
      {"SmallIdsThatAnotherListHoldsOutOfOrderMakeNoLoop",
       [](Trace& t) {  // concurrent requests look up users whose ids a posts page also holds
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         t.q(1, "SELECT id, title FROM posts ORDER BY id LIMIT 10", fast_with(ids(1, 10)));
         t.q(2, "SELECT * FROM users WHERE id = 5", kFast);
         t.q(3, "SELECT * FROM users WHERE id = 2", kFast);
         t.q(4, "SELECT * FROM users WHERE id = 8", kFast);
       },
       {},
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{1, 1, 1, 1}));
       }},
      {"ConcurrentLoopsOverTheSameRowsEachGoOnFromTheirOwnLastStep",
       [](Trace& t) {  // two users list the same posts; the second loop overtakes the first
         for (ConnectionId c = 1; c <= 4; ++c)
           t.open(c);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         t.q(2, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         auto steps = [&](ConnectionId c, int from, int to) {
           for (int post = from; post <= to; ++post)
             t.q(c, fmt::format("SELECT * FROM comments WHERE post_id = {}", post), kFast);
         };
         steps(3, 1, 2);  // X starts on the nearer list
         steps(4, 1, 6);  // Y walks the other one, past X: its steps follow its own last one
         steps(3, 3, 6);
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{7, 7}));
         for (const auto& u : o.units) {  // either list, but one loop's steps: X's or Y's
           auto has = [&](ConnectionId c) {
             return std::find(u.connections.begin(), u.connections.end(), c) != u.connections.end();
           };
           EXPECT_NE(has(3), has(4)) << u.id;
         }
         for (const Finding* f : o.of(FindingKind::n_plus_one))
           EXPECT_EQ(f->count, 6U);
       }},
      {"ALoopUnderWayGoesOnFromItsOwnLastRowNotTheNearestList",
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 5; ++c)
           t.open(c);
         auto step = [&](ConnectionId c, int post) {
           t.q(c, fmt::format("SELECT * FROM comments WHERE post_id = {}", post), kFast);
         };
         // A first request teaches pgtally that posts' ids feed comments lookups.
         t.q(5, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1000, 1005)));
         for (int post = 1000; post <= 1005; ++post)
           step(5, post);
         // Two users list the same posts; X starts on the nearer list, Y on the other.
         t.q(1, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         t.q(2, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         step(3, 1);
         step(4, 1);
         step(4, 2), step(4, 3), step(4, 4);  // Y's last step is the latest: Y goes on
         step(3, 2);  // X's step is now the latest, but post 5 follows Y's post 4, not X's 2
         step(4, 5);
         step(3, 3), step(3, 4), step(3, 5), step(3, 6);
         step(4, 6);
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{7, 7, 7}));
         for (const auto& u : o.units) {  // either list, but one loop's steps: X's or Y's
           auto has = [&](ConnectionId c) {
             return std::find(u.connections.begin(), u.connections.end(), c) != u.connections.end();
           };
           if (!has(5)) {
             EXPECT_NE(has(3), has(4)) << u.id;
           }
         }
       }},
      {"ALoopStartsOnALearnedColumnThoughEachKeyWasLookedUpAloneBefore",
       [](Trace& t) {  // under load every small id has been some request's lone lookup
         t.open(1).open(2);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1000, 1005)));
         for (int post = 1000; post <= 1005; ++post)
           t.q(1, fmt::format("SELECT * FROM comments WHERE post_id = {}", post), kFast);
         for (int post = 1; post <= 3; ++post)  // three detail pages
           t.q(2, fmt::format("SELECT * FROM comments WHERE post_id = {}", post), kFast);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 4", fast_with(ids(1, 3)));
         for (int post = 1; post <= 3; ++post)
           t.q(1, fmt::format("SELECT * FROM comments WHERE post_id = {}", post), kFast);
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{1, 1, 1, 4, 7}));
       }},
      {"ShortLoopsOfASecondParentAreLearnedBesideLongLoopsOfAFirst",
       [](Trace& t) {  // users looked up by posts' authors (12 a list) and by comments' (2-3)
         t.open(1);
         auto loop = [&](const char* parent, int first_id, int first_key, int n) {
           std::vector<std::string> rows;
           for (int i = 0; i < n; ++i) {
             rows.push_back(std::to_string(first_id + i));   // id
             rows.push_back(std::to_string(first_key + i));  // author_id
           }
           t.q(1, parent, fast_with(rows, 2));
           for (int i = 0; i < n; ++i)
             t.q(1, fmt::format("SELECT * FROM users WHERE id = {}", first_key + i), kFast);
         };
         const char* posts = "SELECT id, author_id FROM posts WHERE blog_id = 3";
         const char* comments = "SELECT id, author_id FROM comments WHERE post_id = 7";
         loop(posts, 100, 200, 12);
         loop(posts, 120, 220, 12);
         for (int k = 0; k < 3; ++k)
           loop(comments, 300 + 10 * k, 400 + 10 * k, 3);
         for (int k = 0; k < 4; ++k)
           loop(comments, 500 + 10 * k, 600 + 10 * k, 2);  // too short to prove a loop alone
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{13, 13, 4, 4, 4, 3, 3, 3, 3}));
       }},
      {"OnAPoolThatRotatesConnectionsARowThatCameThereIsNoBetterParent",
       [](Trace& t) {  // a pool that hands each query the next free connection (pgjdbc's here)
         t.open(1).open(2);
         // Request A's page, then request B's list of the same posts on the other connection.
         t.q(1, "SELECT p.id, c.body FROM posts p JOIN comments c ON c.post_id = p.id",
             fast_with(ids(1, 6)));
         t.q(2, "SELECT id FROM posts WHERE blog_id = 3", fast_with(ids(1, 6)));
         t.q(1, "SELECT count(*) FROM users", kFast);  // request C, between them on connection 1
         t.q(1, "SELECT * FROM comments WHERE post_id IN (1, 2, 3, 4, 5, 6)", kFast);  // B's
       },
       {},
       [](const Outcome& o) {
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{1, 1, 2}));
         for (const auto& u : o.units) {
           if (u.queries == 2) {
             EXPECT_EQ(u.connections.size(), 2U) << "B's batch joins B's list, not A's page";
           }
         }
       }},
      {"TheSessionUserAtTheStartOfEveryRequestChainsNothing",
       [](Trace& t) {
         t.open(1).open(2);
         for (int r = 0; r < 20; ++r) {
           const ConnectionId c = 1 + static_cast<ConnectionId>(r % 2);
           // users(1) returns the id it looked up (an echo, no link) and a name (not id-like).
           t.q(c, "SELECT id, name FROM users WHERE id = 1", fast_with({"1", "alice"}, 2));
           const int order = 500 + r * 3;
           // Item rows carry small product ids, 1 among them: ids every table shares.
           t.q(c, "SELECT id, user_id FROM orders WHERE user_id = 1",
               fast_with({std::to_string(order), "1", std::to_string(order + 1), "1"}, 2));
           for (int k = 0; k < 2; ++k) {
             t.q(c,
                 fmt::format("SELECT id, product_id FROM order_items WHERE order_id = {}",
                             order + k),
                 fast_with({std::to_string(9000 + r * 2 + k), "1"}, 2));
           }
         }
       },
       {},
       [](const Outcome& o) {
         EXPECT_LE(o.largest(), 5U) << "at most one request's statements and a neighbour's root";
         EXPECT_GE(o.units.size(), 20U);
       }},
      {"BelongsToLoopWithDuplicateKeysBehindLongText",  // 20 posts, 3 authors, key last
       [](Trace& t) {
         t.open(1);
         std::vector<std::string> rows;
         for (int p = 1; p <= 20; ++p) {
           rows.push_back(std::to_string(p));            // id
           rows.push_back(std::to_string(700 + p % 3));  // author_id, after the body
         }
         QueryOptions list = fast_with(rows, 2);
         t.q(1, "SELECT id, body, created_at, author_id FROM posts LIMIT 20", list);
         for (int p = 1; p <= 20; ++p) {
           t.x(1, "SELECT * FROM users WHERE id = $1", {Param::of(std::to_string(700 + p % 3))},
               kFast);
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.units[0].queries, 21U);
         const Finding* f = o.of(FindingKind::n_plus_one)[0];
         EXPECT_EQ(f->count, 20U);
         EXPECT_EQ(f->evidence.at("distinct_keys").get<int>(), 3);
         EXPECT_NE(f->parent_normalized.find("FROM posts"), std::string::npos);
       }},
      {"TwoLevelsWithSmallFanOutPerExecution",  // 20 posts, each followed by its 3 comments
       [](Trace& t) {
         t.open(1).open(2);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 1", fast_with(ids(1, 20)));
         for (int p = 1; p <= 20; ++p) {
           std::vector<std::string> comments;
           for (int k = 0; k < 3; ++k) {
             comments.push_back(std::to_string(1000 + p * 3 + k));  // comment id
             comments.push_back(std::to_string(5000 + p * 3 + k));  // its author
           }
           t.x(1 + static_cast<ConnectionId>(p % 2),
               "SELECT id, author_id FROM comments WHERE post_id = $1",
               {Param::of(std::to_string(p))}, fast_with(comments, 2));
           for (int k = 0; k < 3; ++k) {
             t.x(1 + static_cast<ConnectionId>(k % 2), "SELECT * FROM users WHERE id = $1",
                 {Param::of(std::to_string(5000 + p * 3 + k))}, kFast);
           }
         }
       },
       {FindingKind::n_plus_one, FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.units[0].queries, 81U);
         for (const Finding* f : o.of(FindingKind::n_plus_one)) {
           if (f->normalized.find("users") != std::string::npos) {
             EXPECT_EQ(f->count, 60U);
             EXPECT_NE(f->parent_normalized.find("FROM comments"), std::string::npos);
           } else {
             EXPECT_EQ(f->count, 20U);
             EXPECT_NE(f->parent_normalized.find("FROM posts"), std::string::npos);
           }
         }
       }},
      {"ParentOfTwoHundredRows",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id FROM products WHERE category_id = 4", fast_with(ids(1, 200)));
         for (int i = 1; i <= 200; ++i) {
           t.x(1, "SELECT * FROM prices WHERE product_id = $1", {Param::of(std::to_string(i))},
               kFast);
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.of(FindingKind::n_plus_one)[0]->count, 200U);
       }},
      {"KeysHeldInAnIntegerArray",  // a post's tag ids in one int[] column, then each tag
       [](Trace& t) {
         t.open(1).open(2);
         QueryOptions post = kFast;
         post.results = {"77"};
         post.array = ids(401, 408);
         t.x(1, "SELECT id, tag_ids FROM posts WHERE id = $1", {Param::of("77")}, post);
         for (int tag = 401; tag <= 408; ++tag) {
           t.x(1 + static_cast<ConnectionId>(tag % 2), "SELECT id, name FROM tags WHERE id = $1",
               {Param::of(std::to_string(tag))}, kFast);
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.units[0].queries, 9U);
         EXPECT_EQ(o.of(FindingKind::n_plus_one)[0]->count, 8U);
       }},
      {"FiftyMillisecondsOfWorkBetweenLookups",
       [](Trace& t) {
         t.open(1);
         t.q(1, "SELECT id FROM posts WHERE blog_id = 2", fast_with(ids(31, 38)));
         for (int p = 31; p <= 38; ++p) {
           t.q(1, fmt::format("SELECT * FROM comments WHERE post_id = {}", p),
               {.duration = 200us, .gap = 50ms});
         }
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) { EXPECT_EQ(o.units.size(), 1U); }},
      {"ListThenDetailBrowsingWithNoPauseIsNoLoop",  // each detail page is its own request
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 3; ++c)
           t.open(c);
         // A page that loads each product of a category: pgtally learns the list's id column.
         t.q(1, "SELECT id FROM products WHERE category_id = 1", fast_with(ids(500, 505)));
         for (int p = 500; p <= 505; ++p)
           t.q(1, fmt::format("SELECT * FROM products WHERE id = {}", p), kFast);
         // A category page lists 20 products; then product pages open some, first to last
         // visit jumping about the list as people do, first of all its first row.
         t.q(1, "SELECT id FROM products WHERE category_id = 2", fast_with(ids(300, 319)));
         ConnectionId c = 2;
         for (const int p : {300, 312, 305, 318, 301, 309, 314, 303}) {
           t.q(c, fmt::format("SELECT * FROM products WHERE id = {}", p), kFast);
           t.q(c, fmt::format("SELECT * FROM reviews WHERE product_id = {}", p), kFast);
           c = c == 2 ? 3 : 2;
         }
       },
       {FindingKind::n_plus_one},  // the first page's
       [](const Outcome& o) {
         EXPECT_EQ(o.of(FindingKind::n_plus_one)[0]->count, 6U);
         EXPECT_EQ(o.largest(), 7U);
         // The list keeps only pages that happen to open its rows in order, a few rows apart
         // (300, 301, 303 here): fewer than an N+1 needs.
         std::size_t above_four = 0;
         for (const auto& u : o.units)
           above_four += u.queries > 4 ? 1 : 0;
         EXPECT_EQ(above_four, 1U);
       }},
      {"ParallelDashboardOfUnrelatedQueriesIsOneUnitEach",  // Promise.all: nothing links them
       [](Trace& t) {
         for (ConnectionId c = 1; c <= 5; ++c)
           t.open(c);
         t.concurrent_start();
         for (ConnectionId c = 1; c <= 5; ++c)
           t.q(c, fmt::format("SELECT count(*) FROM table_{}", c), fast_with({"42"}));
         t.concurrent_end(1ms);
       },
       {},
       [](const Outcome& o) {
         EXPECT_EQ(o.units.size(), 5U);
         for (const auto& u : o.units)
           EXPECT_EQ(u.basis, UnitBasis::statement);
       }},
      {"IdenticalQueriesOfDifferentRequestsAreNoRepeats",
       [](Trace& t) {
         t.open(1);
         for (int r = 0; r < 10; ++r)
           t.q(1, "SELECT value FROM settings WHERE key = 'currency'", fast_with({"EUR"}));
       },
       {},
       [](const Outcome& o) { EXPECT_EQ(o.units.size(), 10U); }},
      {"WriteLoopLinkedByTheKeyItWrites",
       [](Trace& t) {
         t.open(1).open(2);
         t.x(1, "INSERT INTO orders (user_id) VALUES ($1) RETURNING id", {Param::of("77")},
             fast_with({"9001"}));
         for (int i = 0; i < 8; ++i) {
           t.x(1 + static_cast<ConnectionId>(i % 2),
               "INSERT INTO order_items (order_id, product_id, qty) VALUES ($1, $2, $3)",
               {Param::of("9001"), Param::of(std::to_string(300 + i)), Param::of("1")}, kFast);
         }
       },
       {FindingKind::bulk_write_loop},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.units[0].queries, 9U);
       }},
      {"SaveInALoopEachInItsOwnTransaction",  // TypeORM's save(): BEGIN, UPDATE, COMMIT
       [](Trace& t) {
         t.open(1).open(2);
         t.q(1, "SELECT id, stock FROM products ORDER BY id LIMIT 6",
             fast_with({"61", "5", "62", "5", "63", "5", "64", "5", "65", "5", "66", "5"}, 2));
         for (int i = 61; i <= 66; ++i) {
           const ConnectionId c = 1 + static_cast<ConnectionId>(i % 2);
           t.q(c, "BEGIN", kFast);
           t.tx(c, TxState::in_transaction);
           t.x(c, "UPDATE products SET stock = $1 WHERE id = $2",
               {Param::of("4"), Param::of(std::to_string(i))}, kFast);
           t.q(c, "COMMIT", kFast);
           t.tx(c, TxState::idle);
         }
       },
       {FindingKind::bulk_write_loop},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 1U);
         EXPECT_EQ(o.units[0].queries, 19U);
         EXPECT_EQ(o.units[0].transactions, 6U);
       }},
      {"TransactionIsOneUnitWhateverItsValues",
       [](Trace& t) {
         t.open(1);
         for (int r = 0; r < 3; ++r) {
           t.q(1, "BEGIN", kFast);
           t.tx(1, TxState::in_transaction);
           // The producer samples table columns only: count(*) returns no key.
           t.q(1, "SELECT count(*) FROM carts", kFast);
           t.q(1, "UPDATE carts SET touched = now() WHERE id = 3", kFast);
           t.q(1, "COMMIT", kFast);
           t.tx(1, TxState::idle);
         }
       },
       {},
       [](const Outcome& o) {
         EXPECT_EQ(o.units.size(), 3U);
         for (const auto& u : o.units) {
           EXPECT_EQ(u.basis, UnitBasis::transaction);
           EXPECT_EQ(u.queries, 4U);
         }
       }},
      {"LazyPageThenItsEagerTwinEachInATransaction",  // one connection, no pause
       [](Trace& t) {
         t.open(1);
         std::vector<std::string> rows;
         for (int p = 1; p <= 20; ++p) {
           rows.push_back(std::to_string(p));
           rows.push_back(std::to_string(1 + p % 10));
         }
         t.q(1, "BEGIN", kFast);
         t.tx(1, TxState::in_transaction);
         t.q(1, "SELECT id, category_id FROM products ORDER BY id LIMIT 20", fast_with(rows, 2));
         for (int p = 1; p <= 20; ++p) {
           t.x(1, "SELECT id, name FROM categories WHERE id = $1",
               {Param::of(std::to_string(1 + p % 10))}, kFast);
         }
         t.q(1, "COMMIT", kFast);
         t.tx(1, TxState::idle);
         t.q(1, "BEGIN", kFast);
         t.tx(1, TxState::in_transaction);
         t.q(1, "SELECT id, category_id FROM products ORDER BY id LIMIT 20", fast_with(rows, 2));
         std::vector<std::string> keys;
         for (int p = 1; p <= 20; ++p)
           keys.push_back(std::to_string(1 + p % 10));
         t.x(1, "SELECT id, name FROM categories WHERE id = ANY($1::bigint[])", {Param::arr(keys)},
             kFast);
         t.q(1, "COMMIT", kFast);
         t.tx(1, TxState::idle);
       },
       {FindingKind::n_plus_one},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 2U);
         EXPECT_EQ(o.sizes(), (std::multiset<std::uint64_t>{4, 23}));
       }},
      {"WithoutValueSamplingBurstsAndTransactionsOnly",
       [](Trace& t) {
         t.open(1);
         posts_then_comments(t, 1, 1, 6);
         t.advance(500ms);
         posts_then_comments(t, 1, 11, 6);
       },
       {},
       [](const Outcome& o) {
         ASSERT_EQ(o.units.size(), 2U);
         for (const auto& u : o.units) {
           EXPECT_EQ(u.basis, UnitBasis::burst);
           EXPECT_EQ(u.queries, 7U);
         }
       },
       false},
  };
  return kCases;
}

class UntaggedTraces : public ::testing::TestWithParam<UntaggedCase> {};

TEST_P(UntaggedTraces, FormUnitsByCause) {
  const UntaggedCase& c = GetParam();
  const ValueHasher hasher({0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL});
  Trace trace(hasher);
  c.build(trace);
  AnalyzerConfig config;
  config.value_sampling = c.value_sampling;
  Engine engine(config, hasher);
  Outcome outcome;
  engine.set_finding_sink(
      [&](const Finding& f, const FindingGroup&) { outcome.findings.push_back(f); });
  for (const Event& e : trace.events)
    engine.process(e);
  engine.tick(trace.now + 5s);
  engine.flush(trace.now + 5s);
  outcome.units = engine.requests(100000);

  std::vector<FindingKind> got;
  for (const Finding& f : outcome.findings)
    got.push_back(f.kind);
  std::vector<FindingKind> want = c.expected;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want) << describe(trace, outcome);
  if (c.check && got == want) {
    c.check(outcome);
    if (::testing::Test::HasFailure()) ADD_FAILURE() << describe(trace, outcome);
  }
}

INSTANTIATE_TEST_SUITE_P(Traces, UntaggedTraces, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<UntaggedCase>& p) {
                           return p.param.name;
                         });

}  // namespace
}  // namespace pgtally::analyzer
