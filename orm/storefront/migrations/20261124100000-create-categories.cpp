// Categories: a product belongs to one.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100000_create_categories() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "categories",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "name",
                     .type = Type::string(100),
                     .allow_null = false,
                     .unique = true},
                    {.name = "created_at", .type = Type::timestamptz(), .allow_null = false},
                    {.name = "updated_at", .type = Type::timestamptz(), .allow_null = false},
                });
          },
      .down = [](QueryInterface& q) { q.drop_table("categories"); },
      .transaction = true,
  };
}
