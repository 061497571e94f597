// Products: priced in integer cents, each in one category.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::ForeignKey;
using pgtally::orm::migrate::Index;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100200_create_products() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "products",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "category_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "categories", .on_delete = "RESTRICT"}},
                    {.name = "name", .type = Type::string(200), .allow_null = false},
                    {.name = "sku", .type = Type::string(64), .allow_null = false, .unique = true},
                    {.name = "price_cents",
                     .type = Type::integer(),
                     .allow_null = false,
                     .check = "price_cents >= 0"},
                    {.name = "created_at", .type = Type::timestamptz(), .allow_null = false},
                    {.name = "updated_at", .type = Type::timestamptz(), .allow_null = false},
                });
            q.add_index("products", Index{.fields = {"category_id"}});
          },
      .down = [](QueryInterface& q) { q.drop_table("products"); },
      .transaction = true,
  };
}
