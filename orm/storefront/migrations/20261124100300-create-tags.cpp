// Tags: labels a product carries, many to many through product_tags.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::QueryInterface;

Definition migration_20261124100300_create_tags() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "tags",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "name", .type = Type::string(50), .allow_null = false, .unique = true},
                });
          },
      .down = [](QueryInterface& q) { q.drop_table("tags"); },
      .transaction = true,
  };
}
