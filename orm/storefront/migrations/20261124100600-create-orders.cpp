// Orders: a user's order, its total in integer cents.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::ForeignKey;
using pgtally::orm::migrate::Index;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100600_create_orders() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "orders",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "user_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "users", .on_delete = "CASCADE"}},
                    {.name = "status",
                     .type = Type::string(20),
                     .allow_null = false,
                     .default_sql = "'pending'",
                     .check = "status IN ('pending', 'paid', 'shipped', 'cancelled')"},
                    {.name = "total_cents",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .default_sql = "0",
                     .check = "total_cents >= 0"},
                    {.name = "created_at", .type = Type::timestamptz(), .allow_null = false},
                    {.name = "updated_at", .type = Type::timestamptz(), .allow_null = false},
                });
            q.add_index("orders", Index{.fields = {"user_id"}});
          },
      .down = [](QueryInterface& q) { q.drop_table("orders"); },
      .transaction = true,
  };
}
