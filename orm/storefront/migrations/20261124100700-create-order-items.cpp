// Order items: a product in an order, at the unit price it was sold for.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::ForeignKey;
using pgtally::orm::migrate::Index;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100700_create_order_items() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "order_items",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "order_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "orders", .on_delete = "CASCADE"}},
                    {.name = "product_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "products", .on_delete = "RESTRICT"}},
                    {.name = "quantity",
                     .type = Type::integer(),
                     .allow_null = false,
                     .check = "quantity > 0"},
                    {.name = "unit_price_cents",
                     .type = Type::integer(),
                     .allow_null = false,
                     .check = "unit_price_cents >= 0"},
                });
            q.add_index("order_items", Index{.fields = {"order_id"}});
            q.add_index("order_items", Index{.fields = {"product_id"}});
          },
      .down = [](QueryInterface& q) { q.drop_table("order_items"); },
      .transaction = true,
  };
}
