// Fixture for association tests: the storefront schema, recreated by its migrations (as the
// sample service creates it) and seeded before each test, and a Database that knows the
// storefront's association registry.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "orm/database.hpp"
#include "orm/migrate/runner.hpp"
#include "orm/storefront/associations.hpp"
#include "orm/storefront/models.hpp"
#include "orm/storefront/schema_migrations.hpp"
#include "orm/storefront/seed.hpp"
#include "tests/orm/fixture.hpp"

namespace pgtally::orm::test {

inline Config storefront_config(Config config = test_config()) {
  config.associations = &storefront::associations();
  return config;
}

class StorefrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db = std::make_unique<Database>(storefront_config());
    db->run(
        Statement{"DROP TABLE IF EXISTS order_items, orders, reviews, product_tags, tags, "
                  "products, categories, users, pgtally_migrations CASCADE",
                  {}});
    migrate::Runner(*db, storefront_migrations()).migrate();
    storefront::seed(*db, size);
  }
  void TearDown() override { db.reset(); }

  storefront::SeedSize size{};
  std::unique_ptr<Database> db;
};

}  // namespace pgtally::orm::test
