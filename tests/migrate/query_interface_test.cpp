// The query interface against a real PostgreSQL: changes to a table that holds rows keep every
// row; createTable from a model writes what sync writes; indexes (unique, partial),
// constraints (check, foreign key with actions) and raw SQL with named replacements.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orm/migrate/errors.hpp"
#include "orm/migrate/query_interface.hpp"
#include "orm/migrate/runner.hpp"
#include "orm/sync.hpp"
#include "tests/migrate/fixture.hpp"

namespace pgtally::orm::migrate::test {
namespace {

enum class Mood : std::uint8_t { calm, busy };

struct Ticket {
  std::int64_t id = 0;
  std::string title;
  Mood mood = Mood::calm;
  std::optional<std::int32_t> priority;

  static const ModelSchema<Ticket>& schema() {
    static const auto schema =
        ModelSchema<Ticket>("tickets", "Ticket")
            .column(&Ticket::id, "id", Type::bigint(),
                    {.primary_key = true, .auto_increment = true})
            .column(&Ticket::title, "title", Type::string(80),
                    {.unique = true, .validate = {not_empty()}})
            .column(&Ticket::mood, "mood", Type::enumeration({"calm", "busy"}),
                    {.default_value = "calm"})
            .column(&Ticket::priority, "priority", Type::integer(), {.validate = {min(0)}});
    return schema;
  }
};

Registry one(std::string name, std::function<void(QueryInterface&)> up,
             std::function<void(QueryInterface&)> down, bool transaction = true) {
  Registry registry;
  registry.add(Migration{std::move(name), "v1",
                         Definition{std::move(up), std::move(down), transaction}, "test"});
  return registry;
}

using QueryInterfaceOnData = MigrateTest;

TEST_F(QueryInterfaceOnData, NotNullColumnUniqueIndexAndForeignKeyKeepEveryRow) {
  psql(
      "CREATE TABLE customers (id bigserial PRIMARY KEY, email text);"
      "INSERT INTO customers (email) SELECT 'c' || g || '@example.com' "
      "FROM generate_series(1, 500) g");
  const std::string rows_before =
      psql("SELECT md5(string_agg(id || ':' || email, ',' ORDER BY id)) FROM customers");
  const Registry registry = one(
      "20260101000001-customers-tier-region",
      [](QueryInterface& q) {
        q.add_column("customers", {.name = "tier",
                                   .type = Type::string(20),
                                   .allow_null = false,
                                   .default_sql = "'basic'"});
        q.add_index("customers", {.fields = {"email"}, .unique = true});
        q.create_table(
            "regions",
            {{.name = "id", .type = Type::bigint(), .primary_key = true, .auto_increment = true},
             {.name = "name", .type = Type::text(), .allow_null = false}});
        q.sql("INSERT INTO regions (name) VALUES (:name)", {{"name", "default"}});
        q.add_column("customers", {.name = "region_id", .type = Type::bigint()});
        q.sql("UPDATE customers SET region_id = (SELECT id FROM regions WHERE name = :name)",
              {{"name", "default"}});
        q.change_column("customers",
                        {.name = "region_id", .type = Type::bigint(), .allow_null = false});
        q.add_constraint("customers", {.kind = ConstraintKind::foreign_key,
                                       .fields = {"region_id"},
                                       .references_table = "regions",
                                       .on_delete = "RESTRICT",
                                       .on_update = "CASCADE"});
        q.rename_column("customers", "email", "email_address");
      },
      [](QueryInterface& q) {
        q.rename_column("customers", "email_address", "email");
        q.remove_constraint("customers", "customers_region_id_fkey");
        q.remove_column("customers", "region_id");
        q.drop_table("regions");
        q.remove_index("customers_email_idx");
        q.remove_column("customers", "tier");
      });
  const std::string schema_before = dump();
  Runner runner(*db, registry);
  runner.migrate();
  EXPECT_EQ(psql("SELECT count(*), count(*) FILTER (WHERE tier = 'basic'), "
                 "count(region_id) FROM customers"),
            "500|500|500\n");
  EXPECT_EQ(psql("SELECT md5(string_agg(id || ':' || email_address, ',' ORDER BY id)) "
                 "FROM customers"),
            rows_before);
  EXPECT_EQ(psql("SELECT confdeltype::text || confupdtype::text FROM pg_constraint "
                 "WHERE conname = 'customers_region_id_fkey'"),
            "rc\n");  // ON DELETE RESTRICT, ON UPDATE CASCADE
  EXPECT_THROW(psql("INSERT INTO customers (email_address, region_id) "
                    "SELECT 'c1@example.com', id FROM regions"),
               std::runtime_error);
  EXPECT_THROW(psql("INSERT INTO customers (email_address, region_id) VALUES ('new@x.io', 999)"),
               std::runtime_error);
  runner.undo();
  EXPECT_EQ(dump(), schema_before);
  EXPECT_EQ(psql("SELECT md5(string_agg(id || ':' || email, ',' ORDER BY id)) FROM customers"),
            rows_before);
}

using QueryInterfaceDdl = MigrateTest;

TEST_F(QueryInterfaceDdl, CreateTableFromAModelWritesWhatSyncWrites) {
  sync<Ticket>(*db);
  const std::string synced = dump();
  sync<Ticket>(*db, SyncMode::force);
  psql("DROP TABLE tickets; DROP TYPE enum_tickets_mood");
  Runner runner(
      *db, one(
               "20260101000001-create-tickets", [](QueryInterface& q) { q.create_table<Ticket>(); },
               [](QueryInterface& q) { q.drop_table<Ticket>(); }));
  runner.migrate();
  EXPECT_EQ(dump(), synced);
  runner.undo();
  EXPECT_FALSE(table_exists("tickets"));
  EXPECT_EQ(psql("SELECT count(*) FROM pg_type WHERE typname = 'enum_tickets_mood'"), "0\n");
}

TEST_F(QueryInterfaceDdl, PartialUniqueIndexCheckConstraintAndRawSqlWithReplacements) {
  Runner runner(*db, one(
                         "20260101000001-tickets-rules",
                         [](QueryInterface& q) {
                           q.create_table<Ticket>();
                           q.add_index("tickets", {.fields = {"(lower(title))", "priority"},
                                                   .name = {},
                                                   .unique = true,
                                                   .where = "priority IS NOT NULL"});
                           q.add_constraint("tickets", {.kind = ConstraintKind::check,
                                                        .fields = {"priority"},
                                                        .check = "priority < 10"});
                           const auto rows =
                               q.sql("SELECT :a::int + :b::int AS sum, :a::text AS again",
                                     {{"a", 40}, {"b", 2}});
                           if (rows[0].get<std::int64_t>("sum", Type::bigint()) != 42) {
                             throw UsageError("replacements were not bound");
                           }
                         },
                         [](QueryInterface& q) {
                           q.remove_constraint("tickets", "tickets_priority_check");
                           q.remove_index("tickets_lower_title_priority_idx");
                           q.drop_table<Ticket>();
                         }));
  runner.migrate();
  EXPECT_EQ(psql("SELECT indexdef FROM pg_indexes WHERE indexname = "
                 "'tickets_lower_title_priority_idx'"),
            "CREATE UNIQUE INDEX tickets_lower_title_priority_idx ON public.tickets USING btree "
            "(lower((title)::text), priority) WHERE (priority IS NOT NULL)\n");
  psql("INSERT INTO tickets (title, priority) VALUES ('A', NULL), ('a', NULL), ('b', 1)");
  EXPECT_THROW(psql("INSERT INTO tickets (title, priority) VALUES ('B', 1)"), std::runtime_error);
  EXPECT_THROW(psql("INSERT INTO tickets (title, priority) VALUES ('c', 10)"), std::runtime_error);
  runner.undo();
  EXPECT_FALSE(table_exists("tickets"));
}

}  // namespace
}  // namespace pgtally::orm::migrate::test
