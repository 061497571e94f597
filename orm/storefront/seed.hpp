// Deterministic sample data for the storefront tables (fresh tables: ids start at 1), sized
// for tests and benchmarks. Every value follows from the sizes, so two runs load the same rows.
#pragma once

#include <cstdint>

#include "orm/executor.hpp"

namespace pgtally::storefront {

struct SeedSize {
  std::int32_t categories = 5;
  std::int32_t tags = 8;
  std::int32_t products = 40;
  std::int32_t users = 50;
  std::int32_t orders_per_user = 2;
  std::int32_t items_per_order = 3;
};

// Inserts categories, tags, products (two tags each), users (one review each), orders and
// their items (order totals are the sums of their items). A handful of statements.
void seed(orm::Executor& executor, const SeedSize& size = {});

}  // namespace pgtally::storefront
