#include "orm/storefront/seed.hpp"

#include "orm/raw_query.hpp"

namespace pgtally::storefront {

void seed(orm::Executor& executor, const SeedSize& size) {
  const orm::Replacements n{{"categories", size.categories},  {"tags", size.tags},
                            {"products", size.products},      {"users", size.users},
                            {"orders", size.orders_per_user}, {"items", size.items_per_order}};
  const auto run = [&](std::string_view sql) { orm::query(executor, sql, n); };
  run("INSERT INTO categories (name, created_at, updated_at) "
      "SELECT 'Category ' || g, now(), now() FROM generate_series(1, :categories) AS g");
  run("INSERT INTO tags (name) SELECT 'tag-' || g FROM generate_series(1, :tags) AS g");
  run("INSERT INTO products (category_id, name, sku, price_cents, created_at, updated_at) "
      "SELECT 1 + g % :categories, 'Product ' || g, 'SKU-' || lpad(g::text, 5, '0'), "
      "100 + (g * 373) % 5000, now(), now() FROM generate_series(1, :products) AS g");
  run("INSERT INTO product_tags (product_id, tag_id) "
      "SELECT DISTINCT p, t FROM generate_series(1, :products) AS p, "
      "LATERAL (VALUES (1 + p % :tags), (1 + (p * 3 + 1) % :tags)) AS v(t)");
  run("INSERT INTO users (email, name, created_at, updated_at) "
      "SELECT 'user' || g || '@example.com', 'User ' || g, now(), now() "
      "FROM generate_series(1, :users) AS g");
  run("INSERT INTO reviews (product_id, user_id, rating, body, created_at, updated_at) "
      "SELECT 1 + (g * 5) % :products, g, 1 + g % 5, "
      "CASE WHEN g % 3 = 0 THEN NULL ELSE 'Review by user ' || g END, now(), now() "
      "FROM generate_series(1, :users) AS g");
  run("INSERT INTO orders (user_id, status, created_at, updated_at) "
      "SELECT u, (ARRAY['pending','paid','shipped','cancelled'])[1 + (u + o) % 4], now(), now() "
      "FROM generate_series(1, :users) AS u, generate_series(1, :orders) AS o ORDER BY u, o");
  run("INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) "
      "SELECT o.id, p.id, 1 + k % 3, p.price_cents "
      "FROM orders AS o CROSS JOIN generate_series(1, :items) AS k "
      "JOIN products AS p ON p.id = 1 + (o.id * 7 + k) % :products ORDER BY o.id, k");
  run("UPDATE orders AS o SET total_cents = s.total FROM (SELECT order_id, "
      "sum(quantity * unit_price_cents) AS total FROM order_items GROUP BY order_id) AS s "
      "WHERE s.order_id = o.id");
}

}  // namespace pgtally::storefront
