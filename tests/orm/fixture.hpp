// The ORM integration fixture: a Database on the binary's throwaway PostgreSQL, with the test
// models' tables recreated before each test.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "orm/database.hpp"
#include "orm/sync.hpp"
#include "tests/orm/models.hpp"
#include "tests/support/postgres_environment.hpp"

namespace pgtally::orm::test {

inline Config test_config(PoolOptions pool = {}) {
  Config config = Config::from_url(pgtally::testing::postgres().conninfo());
  config.production = false;
  config.pool = pool;
  return config;
}

// Polls until done() holds; throws when it does not within the deadline (not a timed assert).
inline void wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error("condition not reached");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval
  }
}

class OrmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db = std::make_unique<Database>(test_config());
    sync<User, Post>(*db, SyncMode::force);
  }
  void TearDown() override { db.reset(); }

  static User user(const std::string& email, std::optional<std::int32_t> age = std::nullopt) {
    User u;
    u.email = email;
    u.displayName = "Ada";
    u.age = age;
    return u;
  }

  std::unique_ptr<Database> db;
};

}  // namespace pgtally::orm::test
