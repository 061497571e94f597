// Reviews: a user's rating of a product, 1 to 5.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::ForeignKey;
using pgtally::orm::migrate::Index;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100500_create_reviews() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "reviews",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "product_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "products", .on_delete = "CASCADE"}},
                    {.name = "user_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "users", .on_delete = "CASCADE"}},
                    {.name = "rating",
                     .type = Type::integer(),
                     .allow_null = false,
                     .check = "rating BETWEEN 1 AND 5"},
                    {.name = "body", .type = Type::text()},
                    {.name = "created_at", .type = Type::timestamptz(), .allow_null = false},
                    {.name = "updated_at", .type = Type::timestamptz(), .allow_null = false},
                });
            q.add_index("reviews", Index{.fields = {"product_id"}});
            q.add_index("reviews", Index{.fields = {"user_id"}});
          },
      .down = [](QueryInterface& q) { q.drop_table("reviews"); },
      .transaction = true,
  };
}
