// What each storefront route reads, as JSON. Some pages load their data the way Sequelize's
// guides recommend (includes: one statement), others fall into the traps those guides warn
// about: a lazy accessor per row (N+1), slow work inside an open transaction, and a second
// pooled connection taken while the first one holds a transaction. pgtally should flag the
// traps and stay silent on the rest.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "orm/database.hpp"

namespace pgtally::storefront::pages {

using nlohmann::json;

// 20 products, then each one's category through a lazy accessor: 1 + 20 statements (N+1).
json products_lazy(orm::Database& db);
// The same page with include(&Product::category): one JOIN statement.
json products_eager(orm::Database& db);
// Every category, each one's products, each product's reviews, all lazily: 1 + C + P statements.
json categories_lazy(orm::Database& db);
// The same tree with nested includes: one JOIN statement.
json categories_eager(orm::Database& db);
// A user's orders with their items and products, by include: one statement. Nothing when the
// user does not exist.
std::optional<json> user_orders(orm::Database& db, std::int64_t user_id);
// Reads an order inside a transaction, then waits `idle` before COMMIT while the connection sits
// idle in the transaction (as a checkout calling a payment service would). Nothing when the
// order does not exist (rolled back).
std::optional<json> slow_checkout(orm::Database& db, std::int64_t order_id,
                                  std::chrono::milliseconds idle);
// Order totals by status inside a transaction, plus best sellers read on `db` instead of the
// transaction: a second connection while the first is held (deadlocks a saturated pool).
json report(orm::Database& db);
// Products whose name contains `text` (case-insensitive), the text bound as a parameter.
json search(orm::Database& db, const std::string& text);

}  // namespace pgtally::storefront::pages
