// The ORM at run time against a real PostgreSQL: the pool (exhaustion, waits, validation,
// eviction, a lost connection), transactions, hooks, the request scope and query counting.
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "orm/raw_query.hpp"
#include "orm/repository.hpp"
#include "orm/testing/query_count.hpp"
#include "tests/orm/fixture.hpp"

namespace pgtally::orm::test {
namespace {

using namespace std::chrono_literals;

std::int32_t backend_pid(Executor& executor) {
  return query(executor, "SELECT pg_backend_pid() AS pid")[0].get<std::int32_t>("pid",
                                                                                Type::integer());
}

// Terminates a backend and waits (server side) until it is gone.
void terminate_backend(std::int32_t pid) {
  pgtally::testing::postgres().psql(fmt::format("SELECT pg_terminate_backend({}, 10000)", pid));
}

// --- pool -----------------------------------------------------------------------------------

TEST(Pool, ExhaustionUnderConcurrentAcquirersThrowsWithThePoolState) {
  Database db(test_config({.max = 2, .acquire_timeout = 100ms}));
  auto first = std::make_unique<Lease>(db.acquire());
  const Lease second = db.acquire();
  std::mutex mutex;
  std::vector<PoolTimeoutError::State> states;
  std::vector<std::string> messages;
  std::vector<std::thread> acquirers;
  acquirers.reserve(4);
  for (int i = 0; i < 4; ++i) {
    acquirers.emplace_back([&] {
      try {
        db.run(Statement{"SELECT 1", {}});
      } catch (const PoolTimeoutError& e) {
        const std::lock_guard lock(mutex);
        states.push_back(e.state());
        messages.emplace_back(e.what());
      }
    });
  }
  for (auto& t : acquirers)
    t.join();
  ASSERT_EQ(states.size(), 4U);
  for (const auto& s : states) {
    EXPECT_EQ(s.in_use, 2U);
    EXPECT_EQ(s.idle, 0U);
    EXPECT_EQ(s.max, 2U);
    EXPECT_LE(s.waiting, 3U);
  }
  EXPECT_NE(messages[0].find("2 in use, 0 idle"), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("max 2"), std::string::npos);
  first.reset();
  EXPECT_NO_THROW(db.run(Statement{"SELECT 1", {}}));
  EXPECT_EQ(db.pool().stats().in_use, 1U);
}

TEST(Pool, AWaitIsReportedToHooksAndInTheNextQueryComment) {
  Database db(test_config({.max = 1, .acquire_timeout = 30s}));
  const testing::QueryRecorder recorder(db);
  std::mutex mutex;
  std::vector<PoolEvent> waits;
  std::vector<analyzer::PoolWait> analyzer_waits;
  const Subscription pool_hook = db.on_pool([&](const PoolEvent& e) {
    if (e.kind != PoolEvent::Kind::acquired || !e.had_to_wait) return;
    const std::lock_guard lock(mutex);
    waits.push_back(e);
  });
  const Subscription events = db.on_event([&](const analyzer::Event& e) {
    if (const auto* w = std::get_if<analyzer::PoolWait>(&e)) {
      const std::lock_guard lock(mutex);
      analyzer_waits.push_back(*w);
    }
  });
  auto held = std::make_unique<Lease>(db.acquire());
  std::thread waiter([&] {
    const RequestScope scope("req-7", "/orders");
    db.run(Statement{"SELECT 1", {}});
    db.run(Statement{"SELECT 2", {}});
  });
  wait_until([&] { return db.pool().stats().waiting == 1; });
  held.reset();
  waiter.join();
  const auto queries = recorder.queries();
  ASSERT_EQ(queries.size(), 2U);
  EXPECT_NE(queries[0].sql.find("db_pool_wait_ms='"), std::string::npos) << queries[0].sql;
  EXPECT_NE(queries[0].sql.find("request_id='req-7'"), std::string::npos);
  EXPECT_EQ(queries[1].sql.find("db_pool_wait_ms"), std::string::npos) << queries[1].sql;
  ASSERT_EQ(waits.size(), 1U);
  EXPECT_EQ(waits[0].stats.max, 1U);
  ASSERT_EQ(analyzer_waits.size(), 1U);
  EXPECT_EQ(analyzer_waits[0].request_id, "req-7");
}

TEST(Pool, ValidationOnCheckoutReplacesAConnectionTheServerClosed) {
  Database db(test_config());
  const std::int32_t before = backend_pid(db);
  terminate_backend(before);
  std::int32_t after = 0;
  ASSERT_NO_THROW(after = backend_pid(db));
  EXPECT_NE(after, before);
}

TEST(Pool, EvictionClosesIdleConnectionsDownToMin) {
  Database db(test_config({.max = 3, .min = 1, .idle_timeout = 0ms, .evict_interval = 0ms}));
  {
    const Lease a = db.acquire();
    const Lease b = db.acquire();
    const Lease c = db.acquire();
  }
  EXPECT_EQ(db.pool().stats().idle, 3U);
  db.pool().evict_idle();
  EXPECT_EQ(db.pool().stats().idle, 1U);

  Database background(
      test_config({.max = 2, .min = 0, .idle_timeout = 0ms, .evict_interval = 5ms}));
  background.run(Statement{"SELECT 1", {}});
  EXPECT_NO_THROW(wait_until([&] { return background.pool().stats().idle == 0; }));
}

TEST(Pool, TheEvictorKeepsMinConnectionsOpen) {
  Database db(test_config({.max = 4, .min = 2, .evict_interval = 5ms}));
  EXPECT_NO_THROW(wait_until([&] { return db.pool().stats().idle == 2; }));
  std::int32_t pid = 0;
  ASSERT_NO_THROW(pid = backend_pid(db));  // served by a warm connection
  EXPECT_GT(pid, 0);
  EXPECT_EQ(db.pool().stats().idle, 2U);
}

TEST(Pool, BadCredentialsFailWithoutPrintingThePassword) {
  Config config = Config::from_url(fmt::format(
      "postgresql://{}:{}@127.0.0.1:{}/{}", pgtally::testing::kScramUser, "wrong-Secret-42",
      pgtally::testing::postgres().port(), pgtally::testing::kTestDatabase));
  Database db(config);
  try {
    db.run(Statement{"SELECT 1", {}});
    FAIL() << "no error";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(e.code(), "08001");
    EXPECT_EQ(std::string(e.what()).find("wrong-Secret-42"), std::string::npos) << e.what();
    EXPECT_EQ(config.redacted().find("wrong-Secret-42"), std::string::npos);
  }
  EXPECT_EQ(db.pool().stats().in_use, 0U);
}

// --- transactions ---------------------------------------------------------------------------

using Transactions = OrmTest;

TEST_F(Transactions, ManagedCommitsWhenTheCallableReturns) {
  const auto id = db->transaction(
      [&](Transaction& tx) { return Repository<User>(tx).create(user("tx@x.io")).id; });
  EXPECT_TRUE(Repository<User>(*db).find_by_pk(id).has_value());
}

TEST_F(Transactions, ManagedRollsBackAndRethrowsWhenTheCallableThrows) {
  EXPECT_THROW(db->transaction([&](Transaction& tx) {
    Repository<User>(tx).create(user("gone@x.io"));
    EXPECT_EQ(Repository<User>(tx).count(), 1);
    EXPECT_EQ(Repository<User>(*db).count(), 0);  // not visible outside yet
    throw std::runtime_error("business rule");
  }),
               std::runtime_error);
  EXPECT_EQ(Repository<User>(*db).count(), 0);
  EXPECT_EQ(db->pool().stats().in_use, 0U);
}

TEST_F(Transactions, NestedTransactionRollsBackToItsSavepointOnly) {
  db->transaction([&](Transaction& outer) {
    Repository<User>(outer).create(user("outer@x.io"));
    EXPECT_THROW(outer.transaction([&](Transaction& inner) {
      Repository<User>(inner).create(user("inner@x.io"));
      throw std::runtime_error("inner fails");
    }),
                 std::runtime_error);
    outer.transaction([&](Transaction& inner) { Repository<User>(inner).create(user("ok@x.io")); });
  });
  std::vector<std::string> emails;
  for (const auto& u : Repository<User>(*db).find_all({.order = {asc(&User::email)}})) {
    emails.push_back(u.email);
  }
  EXPECT_EQ(emails, (std::vector<std::string>{"ok@x.io", "outer@x.io"}));
}

TEST_F(Transactions, UnmanagedCommitRollbackAndDroppedOpen) {
  {
    Transaction tx = db->begin();
    Repository<User>(tx).create(user("rolled@x.io"));
    tx.rollback();
    EXPECT_THROW(tx.commit(), UsageError);
  }
  {
    Transaction tx = db->begin();
    Repository<User>(tx).create(user("kept@x.io"));
    tx.commit();
  }
  {
    Transaction tx = db->begin();
    Repository<User>(tx).create(user("dropped@x.io"));
  }
  const auto all = Repository<User>(*db).find_all();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].email, "kept@x.io");
}

TEST_F(Transactions, IsolationLevelAndReadOnly) {
  db->transaction(
      [&](Transaction& tx) {
        EXPECT_EQ(
            query(tx, "SHOW transaction_isolation")[0].get<std::string>("transaction_isolation"),
            "serializable");
        EXPECT_THROW(Repository<User>(tx).create(user("ro@x.io")), DatabaseError);
      },
      {.isolation = Isolation::serializable, .read_only = true});
}

TEST_F(Transactions, LostConnectionMidTransactionRollsBackAndThePoolRecovers) {
  EXPECT_THROW(db->transaction([&](Transaction& tx) {
    Repository<User>(tx).create(user("lost@x.io"));
    terminate_backend(backend_pid(tx));
    Repository<User>(tx).count();
  }),
               ConnectionError);
  EXPECT_EQ(db->pool().stats().in_use, 0U);
  EXPECT_EQ(Repository<User>(*db).count(), 0);
  EXPECT_NO_THROW(Repository<User>(*db).create(user("after@x.io")));
}

TEST_F(Transactions, StatementTimeoutIsATimeoutErrorAndTheConnectionStaysUsable) {
  EXPECT_THROW(db->transaction([&](Transaction& tx) {
    query(tx, "SET LOCAL statement_timeout = '20ms'");
    query(tx, "SELECT pg_sleep(30)");
  }),
               TimeoutError);
  EXPECT_EQ(Repository<User>(*db).count(), 0);
  EXPECT_EQ(db->pool().stats().idle, 1U);  // rolled back and returned, not discarded
}

// --- hooks ----------------------------------------------------------------------------------

using Hooks = OrmTest;

TEST_F(Hooks, LifecycleHooksRunInOrderAndMayChangeOrStopTheOperation) {
  std::vector<std::string> calls;
  db->hooks<User>()
      .before_create([&](User& u) {
        calls.emplace_back("before_create");
        u.email = "hooked-" + u.email;
      })
      .before_save([&](User&) { calls.emplace_back("before_save"); })
      .after_create([&](User& u) { calls.emplace_back(fmt::format("after_create:{}", u.id > 0)); })
      .after_save([&](User&) { calls.emplace_back("after_save"); })
      .before_update([&](User&) { calls.emplace_back("before_update"); })
      .after_update([&](User&) { calls.emplace_back("after_update"); })
      .before_destroy([&](User&) { calls.emplace_back("before_destroy"); })
      .after_destroy([&](User&) { calls.emplace_back("after_destroy"); });
  Repository<User> users(*db);
  User u = users.create(user("h@x.io"));
  EXPECT_EQ(u.email, "hooked-h@x.io");
  users.save(u);
  users.destroy(u);
  EXPECT_EQ(calls,
            (std::vector<std::string>{"before_create", "before_save", "after_create:true",
                                      "after_save", "before_update", "before_save", "after_update",
                                      "after_save", "before_destroy", "after_destroy"}));

  db->hooks<Post>().before_create([](Post&) { throw std::runtime_error("posts are closed"); });
  const testing::QueryRecorder recorder(*db);
  EXPECT_THROW(Repository<Post>(*db).create(Post{0, 1, "t", "draft", {}}), std::runtime_error);
  EXPECT_EQ(recorder.count(), 0U);
}

TEST_F(Hooks, LoggingHookSeesSqlDurationRowsAndErrorsButNoValues) {
  std::vector<QueryLog> logs;
  const Subscription sub = db->on_query([&](const QueryLog& log) { logs.push_back(log); });
  Repository<User> users(*db);
  users.create(user("log@x.io"));
  users.find_all({.where = op::eq(&User::email, "log@x.io")});
  EXPECT_THROW(users.create(user("log@x.io")), UniqueConstraintError);
  ASSERT_EQ(logs.size(), 3U);
  EXPECT_TRUE(logs[1].statement.starts_with("SELECT "));
  EXPECT_EQ(logs[1].rows, 1U);
  EXPECT_EQ(logs[1].parameter_hashes.size(), 1U);
  EXPECT_EQ(logs[1].parameter_hashes[0], db->hash_value(std::string("log@x.io")));
  EXPECT_EQ(logs[2].sqlstate, "23505");
  for (const auto& log : logs)
    EXPECT_EQ(log.sql.find("log@x.io"), std::string::npos);
}

TEST_F(Hooks, AnalyzerEventsForConnectionsAndQueries) {
  Database fresh(test_config());
  std::vector<analyzer::Event> events;
  const Subscription sub = fresh.on_event([&](const analyzer::Event& e) { events.push_back(e); });
  Repository<User>(fresh).count(op::eq(&User::age, 3));
  ASSERT_GE(events.size(), 2U);
  const auto* opened = std::get_if<analyzer::ConnectionOpened>(&events.front());
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->source, analyzer::Source::orm);
  EXPECT_GT(opened->backend_pid, 0);
  EXPECT_EQ(opened->group.user, pgtally::testing::kTrustUser);
  const auto* q = std::get_if<analyzer::QueryEvent>(&events.back());
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->source, analyzer::Source::orm);
  EXPECT_EQ(q->protocol, analyzer::Protocol::extended);
  ASSERT_EQ(q->parameters.size(), 1U);
  EXPECT_EQ(q->parameters[0].hash, fresh.hash_value(std::string("3")));
  EXPECT_EQ(q->rows, 1U);
  EXPECT_GE(q->end, q->start);
}

// --- request scope --------------------------------------------------------------------------

using Scope = OrmTest;

TEST_F(Scope, TagsEveryQueryWithASqlcommenterCommentTheServerReceives) {
  const int line = __LINE__ + 1;
  const RequestScope scope("req-1", "/users/:id");
  const std::string received(*query(*db, "SELECT current_query() AS q")[0].text("q"));
  EXPECT_EQ(received,
            fmt::format("SELECT current_query() AS q /*request_id='req-1',route='%2Fusers%2F%3Aid',"
                        "source='runtime_test.cpp%3A{}'*/",
                        line));
}

TEST_F(Scope, TransactionControlIsUntaggedAndStatementsInsideAreTagged) {
  const testing::QueryRecorder recorder(*db);
  {
    const RequestScope scope("req-2");
    db->transaction([&](Transaction& tx) { Repository<User>(tx).count(); });
  }
  const auto queries = recorder.queries();
  ASSERT_EQ(queries.size(), 3U);
  EXPECT_EQ(queries[0].sql, "BEGIN");
  EXPECT_NE(queries[1].sql.find("request_id='req-2'"), std::string::npos);
  EXPECT_EQ(queries[2].sql, "COMMIT");
}

TEST_F(Scope, WorkOnAnotherThreadIsUntaggedUnlessItAdoptsTheContext) {
  const testing::QueryRecorder recorder(*db);
  const RequestScope scope("req-3", "/reports");
  std::thread plain([&] { db->run(Statement{"SELECT 1", {}}); });
  plain.join();
  std::thread adopted([&, context = RequestScope::capture()] {
    const RequestScope adopt(*context);
    db->run(Statement{"SELECT 2", {}});
  });
  adopted.join();
  const auto queries = recorder.queries();
  ASSERT_EQ(queries.size(), 2U);
  EXPECT_EQ(queries[0].sql, "SELECT 1");
  EXPECT_NE(queries[1].sql.find("request_id='req-3',route='%2Freports'"), std::string::npos);
}

// --- query counting -------------------------------------------------------------------------

class QueryCounting : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    for (int i = 0; i < 6; ++i) {
      const User u = Repository<User>(*db).create(user(fmt::format("u{}@x.io", i)));
      ids.push_back(u.id);
      Repository<Post>(*db).create(Post{0, u.id, fmt::format("post {}", i), "draft", {}});
    }
  }
  std::vector<std::int64_t> ids;
};

TEST_F(QueryCounting, ExactAndAtMost) {
  Repository<User> users(*db);
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { users.find_all(); }));
  EXPECT_TRUE(testing::issues_at_most(*db, 2, [&] { users.find_all(); }));
  EXPECT_TRUE(testing::issues_exactly(
      *db, 1, [&] { db->transaction([&](Transaction& tx) { Repository<User>(tx).count(); }); }));
  const auto failed = testing::issues_exactly(*db, 1, [&] {
    users.find_all();
    users.find_all();
    users.count();
  });
  EXPECT_FALSE(failed);
  const std::string message = failed.message();
  EXPECT_NE(message.find("the block issued 3"), std::string::npos) << message;
  EXPECT_NE(message.find("2 x  SELECT \"id\""), std::string::npos) << message;
  EXPECT_NE(message.find("1 x  SELECT count(*)"), std::string::npos) << message;
  EXPECT_FALSE(testing::issues_at_most(*db, 2, [&] {
    for (int i = 0; i < 3; ++i)
      users.count();
  }));
}

TEST_F(QueryCounting, LazyLoopIsNPlusOneAndOneBatchedQueryIsNot) {
  const auto lazy = testing::has_no_n_plus_one(*db, [&] {
    for (const auto& u : Repository<User>(*db).find_all()) {
      Repository<Post>(*db).find_all({.where = op::eq(&Post::userId, u.id)});
    }
  });
  EXPECT_FALSE(lazy);
  EXPECT_NE(std::string(lazy.message()).find("ran 6 times"), std::string::npos) << lazy.message();
  EXPECT_TRUE(testing::has_no_n_plus_one(*db, [&] {
    const auto users = Repository<User>(*db).find_all();
    std::vector<std::int64_t> keys;
    keys.reserve(users.size());
    for (const auto& u : users)
      keys.push_back(u.id);
    Repository<Post>(*db).find_all({.where = op::in(&Post::userId, keys)});
  }));
  EXPECT_TRUE(testing::has_no_n_plus_one(*db, [&] {
    for (int i = 0; i < 6; ++i)
      Repository<User>(*db).find_by_pk(ids[0]);  // same key: not N+1
  }));
}

}  // namespace
}  // namespace pgtally::orm::test
