// The ORM through pgtally: the lazy association loop is flagged as N+1 by the proxy's own
// analysis, as it is by the in-process check, while the include versions (one JOIN statement,
// or one statement per separate level) are not; all three load equal object graphs.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "analyzer/analyzer.hpp"
#include "orm/database.hpp"
#include "orm/migrate/runner.hpp"
#include "orm/related.hpp"
#include "orm/repository.hpp"
#include "orm/request_scope.hpp"
#include "orm/storefront/associations.hpp"
#include "orm/storefront/models.hpp"
#include "orm/storefront/schema_migrations.hpp"
#include "orm/storefront/seed.hpp"
#include "orm/testing/query_count.hpp"
#include "proxy/assembling_observer.hpp"
#include "tests/proxy/proxy_fixture.hpp"

namespace pgtally {
namespace {

namespace sf = pgtally::storefront;

// pgtally in front of the binary's PostgreSQL, its sessions feeding an analyzer that this test
// drains itself (no analyzer thread, so nothing races the assertions).
class OrmThroughProxy : public ::testing::Test {
 protected:
  void SetUp() override {
    const Config config = testing::proxy_config();
    std::vector<EventSink*> sinks;
    for (unsigned i = 0; i < config.threads; ++i) {
      rings_.push_back(std::make_unique<RingSink>(analyzer_.add_producer(1U << 12U)));
      sinks.push_back(rings_.back().get());
    }
    proxy_ = std::make_unique<testing::RunningProxy>(
        config, std::make_shared<AssemblingObserverFactory>(sinks, &analyzer_.hasher()));
    orm::Database direct(database_config(testing::postgres().conninfo()));
    orm::migrate::Runner(direct, storefront_migrations()).migrate();  // the schema, once
    direct.run(
        orm::Statement{"TRUNCATE order_items, orders, reviews, product_tags, tags, "
                       "products, categories, users RESTART IDENTITY CASCADE",
                       {}});
    sf::seed(direct, {});
    db_ = std::make_unique<orm::Database>(database_config(proxy_->conninfo()));
  }
  void TearDown() override {
    db_.reset();
    proxy_.reset();
  }

  static orm::Config database_config(const std::string& conninfo) {
    orm::Config config = orm::Config::from_url(conninfo);
    config.production = false;
    config.associations = &sf::associations();
    return config;
  }

  // Drains the rings until each request has its statements, then ends every request so that
  // the findings are final.
  void settle(const std::vector<std::pair<std::string, std::uint64_t>>& requests) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    const auto complete = [&] {
      for (const auto& [id, queries] : requests) {
        const auto summary = analyzer_.request(id);
        if (!summary || summary->queries < queries) return false;
      }
      return true;
    };
    while (analyzer_.drain(analyzer::Clock::now()), !complete()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the proxy did not report every statement of the requests";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
    }
    analyzer_.drain(analyzer::Clock::now() + std::chrono::hours(1));
  }

  analyzer::RequestSummary request(const std::string& id) const {
    return analyzer_.request(id).value_or(analyzer::RequestSummary{});
  }

  static bool flagged(const analyzer::RequestSummary& summary) {
    for (const auto& f : summary.findings) {
      if (f.kind == analyzer::FindingKind::n_plus_one) return true;
    }
    return false;
  }

  analyzer::Analyzer analyzer_;
  std::vector<std::unique_ptr<RingSink>> rings_;
  std::unique_ptr<testing::RunningProxy> proxy_;
  std::unique_ptr<orm::Database> db_;
};

std::vector<sf::User> lazy_loop(orm::Database& db) {
  auto users = orm::Repository<sf::User>(db).find_all({.order = {orm::asc(&sf::User::id)}});
  for (auto& u : users)
    orm::related(db, u, &sf::User::orders).load();
  return users;
}

TEST_F(OrmThroughProxy, LazyLoopIsFlaggedIncludesAreNot) {
  std::vector<sf::User> lazy;
  {
    const orm::RequestScope scope("lazy-loop", "/users");
    EXPECT_TRUE(orm::testing::issues_exactly(*db_, 51, [&] { lazy = lazy_loop(*db_); }));
  }
  std::vector<sf::User> joined;
  {
    const orm::RequestScope scope("include-join", "/users");
    EXPECT_TRUE(orm::testing::issues_exactly(*db_, 1, [&] {
      joined = orm::Repository<sf::User>(*db_).find_all(
          {.order = {orm::asc(&sf::User::id)}, .include = {orm::include(&sf::User::orders)}});
    }));
  }
  std::vector<sf::User> separate;
  {
    const orm::RequestScope scope("include-separate", "/users");
    EXPECT_TRUE(orm::testing::issues_exactly(*db_, 2, [&] {
      separate = orm::Repository<sf::User>(*db_).find_all(
          {.order = {orm::asc(&sf::User::id)},
           .include = {orm::include(&sf::User::orders, {.separate = true})}});
    }));
  }
  settle({{"lazy-loop", 51}, {"include-join", 1}, {"include-separate", 2}});

  EXPECT_EQ(request("lazy-loop").queries, 51U);
  EXPECT_TRUE(flagged(request("lazy-loop"))) << "the proxy did not flag the lazy loop";
  EXPECT_EQ(request("include-join").queries, 1U);
  EXPECT_FALSE(flagged(request("include-join")));
  EXPECT_EQ(request("include-separate").queries, 2U);
  EXPECT_FALSE(flagged(request("include-separate")));
  for (const auto& group : analyzer_.findings()) {
    for (const auto& id : group.example_requests)
      EXPECT_EQ(id, "lazy-loop") << analyzer::to_string(group.latest.kind) << " in " << id;
  }

  ASSERT_EQ(lazy.size(), 50U);
  EXPECT_EQ(joined, lazy);
  EXPECT_EQ(separate, lazy);
}

}  // namespace
}  // namespace pgtally
