// product_tags: the join model of products and tags, with its own attribute added_at.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::ForeignKey;
using pgtally::orm::migrate::Index;
using pgtally::orm::migrate::QueryInterface;

using pgtally::orm::migrate::Constraint;
using pgtally::orm::migrate::ConstraintKind;

Definition migration_20261124100400_create_product_tags() {
  return {
      .up =
          [](QueryInterface& q) {
            q.create_table(
                "product_tags",
                {
                    {.name = "id",
                     .type = Type::bigint(),
                     .primary_key = true,
                     .auto_increment = true},
                    {.name = "product_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "products", .on_delete = "CASCADE"}},
                    {.name = "tag_id",
                     .type = Type::bigint(),
                     .allow_null = false,
                     .references = ForeignKey{.table = "tags", .on_delete = "CASCADE"}},
                    {.name = "added_at",
                     .type = Type::timestamptz(),
                     .allow_null = false,
                     .default_sql = "now()"},
                });
            q.add_constraint("product_tags", Constraint{.kind = ConstraintKind::unique,
                                                        .fields = {"product_id", "tag_id"}});
            q.add_index("product_tags", Index{.fields = {"tag_id"}});
          },
      .down = [](QueryInterface& q) { q.drop_table("product_tags"); },
      .transaction = true,
  };
}
