#include "orm/storefront/service/pages.hpp"

#include <thread>

#include "orm/raw_query.hpp"
#include "orm/related.hpp"
#include "orm/repository.hpp"
#include "orm/storefront/models.hpp"
#include "orm/transaction.hpp"

namespace pgtally::storefront::pages {
namespace {

constexpr std::int64_t kPageSize = 20;

json category_json(const Category& c) {
  return {{"id", c.id}, {"name", c.name}};
}

json review_json(const Review& r) {
  return {{"id", r.id},
          {"user_id", r.userId},
          {"rating", r.rating},
          {"body", r.body ? json(*r.body) : json(nullptr)}};
}

json product_json(const Product& p) {
  json out = {{"id", p.id},
              {"name", p.name},
              {"sku", p.sku},
              {"price_cents", p.priceCents},
              {"category_id", p.categoryId}};
  if (p.category.loaded()) {
    out["category"] = p.category.get() != nullptr ? category_json(*p.category) : json(nullptr);
  }
  if (p.reviews.loaded()) {
    json reviews = json::array();
    for (const Review& r : p.reviews)
      reviews.push_back(review_json(r));
    out["reviews"] = std::move(reviews);
  }
  return out;
}

json category_tree_json(const Category& c) {
  json out = category_json(c);
  json products = json::array();
  for (const Product& p : c.products)
    products.push_back(product_json(p));
  out["products"] = std::move(products);
  return out;
}

json item_json(const OrderItem& i) {
  json out = {{"id", i.id},
              {"product_id", i.productId},
              {"quantity", i.quantity},
              {"unit_price_cents", i.unitPriceCents}};
  if (i.product.loaded() && i.product.get() != nullptr) out["product"] = product_json(*i.product);
  return out;
}

json order_json(const Order& o) {
  json out = {
      {"id", o.id}, {"user_id", o.userId}, {"status", o.status}, {"total_cents", o.totalCents}};
  if (o.items.loaded()) {
    json items = json::array();
    for (const OrderItem& i : o.items)
      items.push_back(item_json(i));
    out["items"] = std::move(items);
  }
  return out;
}

json products_json(const std::vector<Product>& products) {
  json out = json::array();
  for (const Product& p : products)
    out.push_back(product_json(p));
  return out;
}

json categories_json(const std::vector<Category>& categories) {
  json out = json::array();
  for (const Category& c : categories)
    out.push_back(category_tree_json(c));
  return out;
}

// LIKE's own wildcards in user text match themselves.
std::string like_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

json products_lazy(orm::Database& db) {
  auto products = orm::Repository<Product>(db).find_all(
      {.order = {orm::asc(&Product::id)}, .limit = kPageSize});
  for (Product& p : products)
    orm::related(db, p, &Product::category).load();  // one statement per product
  return {{"products", products_json(products)}};
}

json products_eager(orm::Database& db) {
  auto products =
      orm::Repository<Product>(db).find_all({.order = {orm::asc(&Product::id)},
                                             .limit = kPageSize,
                                             .include = {orm::include(&Product::category)}});
  return {{"products", products_json(products)}};
}

json categories_lazy(orm::Database& db) {
  auto categories = orm::Repository<Category>(db).find_all({.order = {orm::asc(&Category::id)}});
  for (Category& c : categories) {
    for (Product& p : orm::related(db, c, &Category::products).load())
      orm::related(db, p, &Product::reviews).load();
  }
  return {{"categories", categories_json(categories)}};
}

json categories_eager(orm::Database& db) {
  auto categories = orm::Repository<Category>(db).find_all(
      {.order = {orm::asc(&Category::id)},
       .include = {
           orm::include(&Category::products, {.include = {orm::include(&Product::reviews)}})}});
  return {{"categories", categories_json(categories)}};
}

std::optional<json> user_orders(orm::Database& db, std::int64_t user_id) {
  auto user = orm::Repository<User>(db).find_by_pk(
      user_id, {.include = {orm::include(
                    &User::orders,
                    {.include = {orm::include(
                         &Order::items, {.include = {orm::include(&OrderItem::product)}})}})}});
  if (!user) return std::nullopt;
  json orders = json::array();
  for (const Order& o : user->orders)
    orders.push_back(order_json(o));
  return json{{"user", {{"id", user->id}, {"name", user->name}, {"email", user->email}}},
              {"orders", std::move(orders)}};
}

std::optional<json> slow_checkout(orm::Database& db, std::int64_t order_id,
                                  std::chrono::milliseconds idle) {
  auto tx = db.begin();
  auto order =
      orm::Repository<Order>(tx).find_by_pk(order_id, {.include = {orm::include(&Order::items)}});
  if (!order) return std::nullopt;  // tx rolls back when dropped
  // The trap: slow work (a payment call) while the transaction holds its connection.
  std::this_thread::sleep_for(idle);
  tx.commit();
  return json{{"order", order_json(*order)}, {"checked_out", true}};
}

json report(orm::Database& db) {
  return db.transaction([&](orm::Transaction& tx) {
    const auto totals = orm::query(tx,
                                   "SELECT status, count(*) AS orders, "
                                   "coalesce(sum(total_cents), 0)::bigint AS revenue_cents "
                                   "FROM orders GROUP BY status ORDER BY status");
    // The trap: `db`, not `tx`. This takes a second pooled connection while the transaction
    // holds the first; with every connection held this way, the pool deadlocks.
    const auto best = orm::query(db,
                                 "SELECT p.id, p.name, sum(i.quantity)::bigint AS sold "
                                 "FROM order_items AS i JOIN products AS p ON p.id = i.product_id "
                                 "GROUP BY p.id, p.name ORDER BY sold DESC, p.id LIMIT :n",
                                 {{"n", 5}});
    json by_status = json::array();
    for (std::size_t i = 0; i < totals.size(); ++i) {
      by_status.push_back({{"status", totals[i].get<std::string>("status")},
                           {"orders", totals[i].get<std::int64_t>("orders")},
                           {"revenue_cents", totals[i].get<std::int64_t>("revenue_cents")}});
    }
    json best_sellers = json::array();
    for (std::size_t i = 0; i < best.size(); ++i) {
      best_sellers.push_back({{"product_id", best[i].get<std::int64_t>("id")},
                              {"name", best[i].get<std::string>("name")},
                              {"sold", best[i].get<std::int64_t>("sold")}});
    }
    return json{{"by_status", std::move(by_status)}, {"best_sellers", std::move(best_sellers)}};
  });
}

json search(orm::Database& db, const std::string& text) {
  auto products = orm::Repository<Product>(db).find_all(
      {.where = orm::op::ilike(&Product::name, "%" + like_escaped(text) + "%"),
       .order = {orm::asc(&Product::id)},
       .limit = kPageSize});
  return {{"products", products_json(products)}};
}

}  // namespace pgtally::storefront::pages
