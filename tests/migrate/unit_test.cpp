// Migrations without a server: names, the registry, checksums, .sql pairs, the statements the
// query interface writes, and generate's names and skeletons.
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orm/errors.hpp"
#include "orm/migrate/checksum.hpp"
#include "orm/migrate/generate.hpp"
#include "orm/migrate/migration.hpp"
#include "orm/migrate/query_interface.hpp"
#include "orm/migrate/sql_file_source.hpp"
#include "orm/storefront/schema_migrations.hpp"
#include "tests/migrate/temp_dir.hpp"

namespace pgtally::orm::migrate {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test::read_text;
using test::TempDir;

Definition nothing() {
  return {[](QueryInterface&) {}, [](QueryInterface&) {}, true};
}

TEST(MigrationNames, AreATimestampAndALowerCaseSlug) {
  EXPECT_TRUE(valid_name("20261124101500-create-users"));
  EXPECT_TRUE(valid_name("20261124101500-add_orders_2"));
  EXPECT_FALSE(valid_name("2026112410150-create-users"));   // 13 digits
  EXPECT_FALSE(valid_name("20261124101500_create-users"));  // no dash after the stamp
  EXPECT_FALSE(valid_name("20261124101500-Create-Users"));
  EXPECT_FALSE(valid_name("20261124101500-"));
  EXPECT_FALSE(valid_name("20261124101500-create-users-"));
  EXPECT_FALSE(valid_name("20261124101500-../etc"));
}

TEST(MigrationRegistry, KeepsNameOrderAndRefusesDuplicatesAndBadNames) {
  Registry registry;
  registry.add("20261124101600-second", "b", &nothing);
  registry.add("20261124101500-first", "a", &nothing);
  ASSERT_EQ(registry.migrations().size(), 2U);
  EXPECT_EQ(registry.migrations()[0].name, "20261124101500-first");
  EXPECT_EQ(registry.find("20261124101600-second")->checksum, "b");
  EXPECT_EQ(registry.find("20261124101700-third"), nullptr);
  EXPECT_THROW(registry.add("20261124101500-first", "c", &nothing), UsageError);
  EXPECT_THROW(registry.add("create-users", "c", &nothing), UsageError);
  EXPECT_THROW(registry.add(Migration{"20261124101800-no-down", "d",
                                      Definition{[](QueryInterface&) {}, {}, true}, "test"}),
               UsageError);
}

TEST(CompiledInMigrations, CarryTheSha256OfTheirFileComputedAtBuildTime) {
  const Registry registry = storefront_migrations();
  ASSERT_EQ(registry.migrations().size(), 8U);
  for (const auto& m : registry.migrations()) {
    const fs::path file = fs::path(STOREFRONT_MIGRATIONS_DIR) / (m.name + ".cpp");
    EXPECT_EQ(m.checksum, sha256_hex(read_text(file))) << file;
    EXPECT_TRUE(m.definition.transaction) << m.name;
  }
}

TEST(Checksum, IsSha256InLowerCaseHex) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SqlMigrations, PairsAreReadInNameOrderWithTheirDirective) {
  const TempDir dir;
  dir.write("20261124101600-index.up.sql",
            "-- builds without blocking writes\n-- pgtally:no-transaction\n"
            "CREATE INDEX CONCURRENTLY items_id_idx ON items (id);\n");
  dir.write("20261124101600-index.down.sql", "DROP INDEX CONCURRENTLY items_id_idx;\n");
  dir.write("20261124101500-items.up.sql",
            "CREATE TABLE items (id int);\nINSERT INTO items "
            "VALUES (1);\n-- a trailing comment\n");
  dir.write("20261124101500-items.down.sql", "DROP TABLE items;");
  dir.write("20261124101500-items.cpp", "// C++ migrations alongside are not read here");
  const auto migrations = read_sql_migrations(dir.path());
  ASSERT_EQ(migrations.size(), 2U);
  EXPECT_EQ(migrations[0].name, "20261124101500-items");
  EXPECT_TRUE(migrations[0].definition.transaction);
  EXPECT_EQ(migrations[1].name, "20261124101600-index");
  EXPECT_FALSE(migrations[1].definition.transaction);
  EXPECT_EQ(migrations[0].checksum.size(), 64U);
  std::vector<std::string> sent;
  auto q = QueryInterface::dry_run(true, [&](const Statement& s) { sent.push_back(s.sql); });
  migrations[0].definition.up(q);
  EXPECT_EQ(sent, (std::vector<std::string>{"CREATE TABLE items (id int)",
                                            "INSERT INTO items VALUES (1)"}));
}

TEST(SqlMigrations, ChecksumCoversBothFiles) {
  const auto a = sql_migration("20261124101500-a", "CREATE TABLE a (id int);", "DROP TABLE a;", "");
  const auto b = sql_migration("20261124101500-a", "CREATE TABLE a (id int);", "DROP TABLE b;", "");
  const auto c =
      sql_migration("20261124101500-a", "CREATE TABLE a (id int); ", "DROP TABLE a;", "");
  EXPECT_NE(a.checksum, b.checksum);
  EXPECT_NE(a.checksum, c.checksum);
}

TEST(SqlMigrations, BadDirectoriesAreRefusedWithTheFileNamed) {
  EXPECT_THROW(read_sql_migrations("/nonexistent/pgtally"), UsageError);
  {
    const TempDir dir;
    dir.write("20261124101500-items.up.sql", "CREATE TABLE items (id int);");
    try {
      read_sql_migrations(dir.path());
      FAIL() << "an up without a down was accepted";
    } catch (const UsageError& e) {
      EXPECT_THAT(e.what(), HasSubstr("20261124101500-items.down.sql"));
    }
  }
  {
    const TempDir dir;
    dir.write("seed.sql", "INSERT INTO items VALUES (1);");
    try {
      read_sql_migrations(dir.path());
      FAIL() << "a stray .sql file was accepted";
    } catch (const UsageError& e) {
      EXPECT_THAT(e.what(), HasSubstr("seed.sql"));
    }
  }
}

TEST(Generate, NamesSortInTheOrderTheyAreWritten) {
  using std::chrono::sys_days;
  const auto now = sys_days(std::chrono::year(2026) / 11 / 24) + std::chrono::hours(10) +
                   std::chrono::minutes(15);
  EXPECT_EQ(next_name("create-users", now, {}), "20261124101500-create-users");
  EXPECT_EQ(next_name("add-tier", now, {"20261124101500-create-users"}), "20261124101501-add-tier");
  EXPECT_EQ(next_name("later", now, {"20301231235959-future"}), "20310101000000-later");
  EXPECT_EQ(next_name("x", now, {"20200101000000-old"}), "20261124101500-x");
  EXPECT_THROW(next_name("Create Users", now, {}), UsageError);
  EXPECT_EQ(definition_function("20261124101500-create-users"),
            "migration_20261124101500_create_users");
}

TEST(Generate, WritesSkeletonsThatSortAfterEveryExistingMigration) {
  const TempDir dir;
  const auto now = std::chrono::system_clock::now();
  const auto sql = generate(dir.path(), "add-tier", Language::sql, now);
  ASSERT_EQ(sql.size(), 2U);
  const std::string first = sql[0].filename().string();
  EXPECT_TRUE(first.ends_with("-add-tier.up.sql"));
  EXPECT_TRUE(sql[1].filename().string().ends_with("-add-tier.down.sql"));
  EXPECT_THAT(read_text(sql[0]), HasSubstr("pgtally:no-transaction"));
  const auto cpp = generate(dir.path(), "add-index", Language::cpp, now);
  ASSERT_EQ(cpp.size(), 1U);
  const std::string second = cpp[0].filename().string();
  EXPECT_GT(second, first);
  const std::string name = second.substr(0, second.size() - 4);
  EXPECT_TRUE(valid_name(name));
  EXPECT_THAT(read_text(cpp[0]), HasSubstr("Definition " + definition_function(name) + "()"));
  EXPECT_EQ(read_sql_migrations(dir.path()).size(), 1U);
}

TEST(QueryInterfaceDryRun, ReportsEveryStatementAndSendsNone) {
  std::vector<std::string> seen;
  auto q = QueryInterface::dry_run(true, [&](const Statement& s) { seen.push_back(s.sql); });
  q.create_table(
      "t", {{.name = "id", .type = Type::integer(), .primary_key = true},
            {.name = "state",
             .type = Type::enumeration({"on", "off"}),
             .allow_null = false,
             .default_sql = "'on'"},
            {.name = "parent_id",
             .type = Type::integer(),
             .references = ForeignKey{
                 .table = "t", .column = "id", .on_delete = "SET NULL", .on_update = "CASCADE"}}});
  q.change_column("t", {.name = "id", .type = Type::bigint(), .allow_null = false},
                  {.using_expression = "id::bigint"});
  EXPECT_TRUE(q.sql("SELECT 1").empty());
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_EQ(seen[0], "CREATE TYPE \"enum_t_state\" AS ENUM ('on', 'off')");
  EXPECT_EQ(seen[1],
            "CREATE TABLE \"t\" (\n  \"id\" INTEGER PRIMARY KEY,\n"
            "  \"state\" \"enum_t_state\" NOT NULL DEFAULT 'on',\n"
            "  \"parent_id\" INTEGER CONSTRAINT \"t_parent_id_fkey\" REFERENCES \"t\" (\"id\") "
            "ON DELETE SET NULL ON UPDATE CASCADE\n)");
  EXPECT_EQ(seen[2],
            "ALTER TABLE \"t\" ALTER COLUMN \"id\" TYPE BIGINT USING id::bigint, ALTER COLUMN "
            "\"id\" SET NOT NULL, ALTER COLUMN \"id\" DROP DEFAULT");
  EXPECT_THROW(q.change_column("t", {.name = "id", .type = Type::bigint(), .unique = true}),
               UsageError);
  EXPECT_THROW(q.add_index("t", {}), UsageError);
}

}  // namespace
}  // namespace pgtally::orm::migrate
