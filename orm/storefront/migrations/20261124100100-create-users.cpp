// Users: customers who order and review.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100100_create_users() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "users",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "email",
                     .type = Type::string(255),
                     .allow_null = false,
                     .unique = true},
                    {.name = "name", .type = Type::string(100), .allow_null = false},
                    {.name = "created_at", .type = Type::timestamptz(), .allow_null = false},
                    {.name = "updated_at", .type = Type::timestamptz(), .allow_null = false},
                });
          },
      .down = [](QueryInterface& q) { q.drop_table("users"); },
      .transaction = true,
  };
}
