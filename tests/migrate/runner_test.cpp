// The runner against a real PostgreSQL: the storefront schema as documented, up/down/up, a
// failing migration in the middle of a run, edited and missing applied migrations, the lock,
// a dry run, and undo's targets.
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orm/connection.hpp"
#include "orm/migrate/advisory_lock.hpp"
#include "orm/migrate/errors.hpp"
#include "orm/migrate/query_interface.hpp"
#include "orm/migrate/runner.hpp"
#include "orm/storefront/schema_migrations.hpp"
#include "tests/migrate/fixture.hpp"

namespace pgtally::orm::migrate::test {
namespace {

using ::testing::HasSubstr;

using Step = std::function<void(QueryInterface&)>;

Migration migration(std::string name, Step up, Step down, std::string checksum = "v1") {
  return Migration{std::move(name), std::move(checksum),
                   Definition{std::move(up), std::move(down), true}, "test"};
}

// A migration that creates one table and drops it again.
Migration creates(std::string name, const std::string& table, std::string checksum = "v1") {
  return migration(
      std::move(name),
      [table](QueryInterface& q) { q.execute("CREATE TABLE " + table + " (id int)"); },
      [table](QueryInterface& q) { q.drop_table(table); }, std::move(checksum));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

using Storefront = MigrateTest;

TEST_F(Storefront, MigrationsCreateExactlyTheDocumentedSchema) {
  Runner runner(*db, storefront_migrations());
  EXPECT_EQ(runner.migrate().size(), 8U);
  const std::string reference = database + "_reference";
  create_database(reference);
  psql(read_file(STOREFRONT_SCHEMA_SQL), reference);
  const std::string expected = dump(reference);
  drop_database(reference);
  EXPECT_EQ(dump(), expected);
  const std::string constraints = psql(
      "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint "
      "WHERE connamespace = 'public'::regnamespace");
  for (const char* name : {"products_category_id_fkey", "product_tags_product_id_tag_id_key",
                           "orders_status_check", "reviews_rating_check",
                           "order_items_product_id_fkey", "users_email_key", "categories_pkey"}) {
    EXPECT_THAT(constraints, HasSubstr(name));
  }
  const std::string indexes = psql(
      "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
      "WHERE schemaname = 'public'");
  for (const char* name : {"products_category_id_idx", "product_tags_tag_id_idx",
                           "reviews_product_id_idx", "reviews_user_id_idx", "orders_user_id_idx",
                           "order_items_order_id_idx", "order_items_product_id_idx"}) {
    EXPECT_THAT(indexes, HasSubstr(name));
  }
}

TEST_F(Storefront, UpDownUpGivesTheSameSchema) {
  Runner runner(*db, storefront_migrations());
  EXPECT_EQ(runner.migrate().size(), 8U);
  const std::string first = dump();
  EXPECT_EQ(runner.undo({.to = std::nullopt, .all = true}).size(), 8U);
  EXPECT_EQ(psql("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                 "AND relname NOT LIKE 'pgtally_migrations%'"),
            "0\n");
  EXPECT_EQ(applied(), "\n");
  EXPECT_EQ(runner.migrate().size(), 8U);
  EXPECT_EQ(dump(), first);
  EXPECT_TRUE(runner.migrate().empty());
}

TEST_F(Storefront, UndoRevertsTheLastOrDownToANamedMigrationInclusive) {
  Runner runner(*db, storefront_migrations());
  runner.migrate();
  EXPECT_EQ(runner.undo(), std::vector<std::string>{"20261124100700-create-order-items"});
  EXPECT_FALSE(table_exists("order_items"));
  EXPECT_TRUE(table_exists("orders"));
  EXPECT_EQ(
      runner.undo({.to = "20261124100500-create-reviews", .all = false}),
      (std::vector<std::string>{"20261124100600-create-orders", "20261124100500-create-reviews"}));
  EXPECT_FALSE(table_exists("reviews"));
  EXPECT_TRUE(table_exists("product_tags"));
  EXPECT_THROW(runner.undo({.to = "20261124100600-create-orders", .all = false}), UsageError);
  EXPECT_EQ(
      runner.migrate("20261124100600-create-orders"),
      (std::vector<std::string>{"20261124100500-create-reviews", "20261124100600-create-orders"}));
  EXPECT_FALSE(table_exists("order_items"));
  EXPECT_THROW(runner.migrate("20991231000000-unknown"), UsageError);
}

TEST_F(Storefront, DryRunPrintsTheSqlAndChangesNothing) {
  const std::string before = dump();
  std::string printed;
  RunnerOptions options;
  options.dry_run = true;
  options.dry_run_output = [&](const std::string& text) { printed += text + "\n"; };
  Runner runner(*db, storefront_migrations(), options);
  EXPECT_EQ(runner.migrate().size(), 8U);
  EXPECT_EQ(dump(), before);
  EXPECT_FALSE(table_exists(MetaTable::kDefaultName));
  EXPECT_THAT(printed, HasSubstr("CREATE TABLE \"categories\""));
  EXPECT_THAT(printed, HasSubstr("CREATE INDEX \"products_category_id_idx\" ON \"products\""));
  EXPECT_THAT(printed, HasSubstr("-- $1 = '20261124100000-create-categories'"));
  EXPECT_THAT(printed, HasSubstr("BEGIN;"));
}

using Runs = MigrateTest;

TEST_F(Runs, FailingMigrationInTheMiddleRollsBackAloneAndStopsTheRun) {
  Registry registry;
  registry.add(creates("20260101000001-first", "first_t"));
  registry.add(migration(
      "20260101000002-breaks",
      [](QueryInterface& q) {
        q.execute("CREATE TABLE second_t (id int)");
        q.execute("INSERT INTO second_t VALUES (1)");
        q.execute("SELECT 1 / 0");
      },
      [](QueryInterface& q) { q.drop_table("second_t"); }));
  registry.add(creates("20260101000003-third", "third_t"));
  Runner runner(*db, registry);
  runner.migrate("20260101000001-first");
  const std::string before = dump();
  try {
    runner.migrate();
    FAIL() << "the run did not stop";
  } catch (const MigrationError& e) {
    EXPECT_EQ(e.migration(), "20260101000002-breaks");
    EXPECT_EQ(e.statement(), "SELECT 1 / 0");
    EXPECT_EQ(e.code(), "22012");
    EXPECT_THAT(e.what(), HasSubstr("migration 20260101000002-breaks failed at statement: "
                                    "SELECT 1 / 0"));
    EXPECT_THAT(e.what(), HasSubstr("rolled back"));
  }
  EXPECT_EQ(dump(), before);
  EXPECT_TRUE(table_exists("first_t"));
  EXPECT_FALSE(table_exists("second_t"));
  EXPECT_FALSE(table_exists("third_t"));
  EXPECT_EQ(applied(), "20260101000001-first\n");
}

TEST_F(Runs, MigrationCodeThatThrowsRollsBackAndBlamesNoStatement) {
  Registry registry;
  registry.add(migration(
      "20260101000001-throws",
      [](QueryInterface& q) {
        q.execute("CREATE TABLE first_t (id int)");
        throw std::runtime_error("the data does not look as expected");
      },
      [](QueryInterface& q) { q.drop_table("first_t"); }));
  try {
    Runner(*db, registry).migrate();
    FAIL() << "the exception was swallowed";
  } catch (const MigrationError& e) {
    EXPECT_EQ(e.code(), "PGT13");
    EXPECT_TRUE(e.statement().empty()) << e.statement();
    EXPECT_THAT(e.what(), HasSubstr("migration 20260101000001-throws failed: the data does not"));
  }
  EXPECT_FALSE(table_exists("first_t"));
  EXPECT_EQ(applied(), "\n");
}

TEST_F(Runs, DryRunOfAMigrationThatReadsQueryResultsStopsWithAClearError) {
  Registry registry;
  registry.add(migration(
      "20260101000001-backfill",
      [](QueryInterface& q) {
        const auto rows = q.sql("SELECT max(id) AS top FROM pg_class");
        q.sql("SELECT :top::bigint", {{"top", rows[0].get<std::int64_t>("top", Type::bigint())}});
      },
      [](QueryInterface&) {}));
  RunnerOptions options;
  options.dry_run = true;
  try {
    Runner(*db, registry, options).migrate();
    FAIL() << "the dry run went on without results";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the dry run stopped in 20260101000001-backfill"));
  }
  EXPECT_FALSE(table_exists(MetaTable::kDefaultName));
}

TEST_F(Runs, EditedAppliedMigrationIsRefusedNamingIt) {
  Registry original;
  original.add(creates("20260101000001-first", "first_t"));
  original.add(creates("20260101000002-second", "second_t"));
  Runner(*db, original).migrate();
  Registry edited;
  edited.add(creates("20260101000001-first", "first_t"));
  edited.add(creates("20260101000002-second", "second_t", "v2"));
  edited.add(creates("20260101000003-third", "third_t"));
  Runner runner(*db, edited);
  try {
    runner.migrate();
    FAIL() << "an edited migration was accepted";
  } catch (const AppliedMigrationMismatch& e) {
    EXPECT_EQ(e.changed(), std::vector<std::string>{"20260101000002-second"});
    EXPECT_TRUE(e.missing().empty());
    EXPECT_THAT(e.what(), HasSubstr("changed since applied (checksum differs): "
                                    "20260101000002-second"));
  }
  EXPECT_FALSE(table_exists("third_t"));
  EXPECT_THROW(runner.undo(), AppliedMigrationMismatch);
  EXPECT_TRUE(table_exists("second_t"));
  const auto status = runner.status();
  ASSERT_EQ(status.size(), 3U);
  EXPECT_EQ(status[0].state, State::applied);
  EXPECT_EQ(status[1].state, State::changed);
  EXPECT_EQ(status[2].state, State::pending);
}

TEST_F(Runs, AppliedMigrationWithoutItsSourceIsReportedAndRefused) {
  Registry both;
  both.add(creates("20260101000001-first", "first_t"));
  both.add(creates("20260101000002-second", "second_t"));
  Runner(*db, both).migrate();
  Registry first_only;
  first_only.add(creates("20260101000001-first", "first_t"));
  Runner runner(*db, first_only);
  const auto status = runner.status();
  ASSERT_EQ(status.size(), 2U);
  EXPECT_EQ(status[1].name, "20260101000002-second");
  EXPECT_EQ(status[1].state, State::missing);
  try {
    runner.migrate();
    FAIL() << "a missing migration was ignored";
  } catch (const AppliedMigrationMismatch& e) {
    EXPECT_EQ(e.missing(), std::vector<std::string>{"20260101000002-second"});
    EXPECT_THAT(e.what(), HasSubstr("applied but not found"));
  }
}

TEST_F(Runs, LockHeldByAnotherRunTimesOutWithAClearErrorAndChangesNothing) {
  Connection holder(url(), "other-deploy", 99);
  holder.exec("SELECT pg_advisory_lock($1::bigint)",
              {std::to_string(AdvisoryLock::key_for(MetaTable::kDefaultName))});
  Registry registry;
  registry.add(creates("20260101000001-first", "first_t"));
  RunnerOptions options;
  options.lock_timeout = std::chrono::milliseconds(300);
  std::vector<std::string> log;
  options.log = [&](const std::string& line) { log.push_back(line); };
  Runner runner(*db, registry, options);
  try {
    runner.migrate();
    FAIL() << "the lock was taken twice";
  } catch (const LockTimeout& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("backend pid {}", holder.backend_pid())));
    EXPECT_THAT(e.what(), HasSubstr("other-deploy"));
  }
  ASSERT_FALSE(log.empty());
  EXPECT_THAT(log.front(), HasSubstr("waiting for the migration lock"));
  EXPECT_FALSE(table_exists("first_t"));
  EXPECT_FALSE(table_exists(MetaTable::kDefaultName));
  holder.exec("SELECT pg_advisory_unlock_all()", {});
  EXPECT_EQ(runner.migrate().size(), 1U);
}

TEST_F(Runs, ConcurrentIndexRunsOutsideATransactionAndIsRecordedSo) {
  psql("CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, 100)");
  Registry registry;
  registry.add(Migration{"20260101000001-index-items", "v1",
                         Definition{[](QueryInterface& q) {
                                      q.add_index("items", {.fields = {"id"},
                                                            .name = {},
                                                            .unique = true,
                                                            .where = {},
                                                            .concurrently = true,
                                                            .method = {}});
                                    },
                                    [](QueryInterface& q) {
                                      q.remove_index("items_id_idx",
                                                     {.concurrently = true, .if_exists = false});
                                    },
                                    false},
                         "test"});
  Runner runner(*db, registry);
  runner.migrate();
  EXPECT_EQ(psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_id_idx'::regclass"),
            "t\n");
  EXPECT_EQ(psql("SELECT transactional FROM pgtally_migrations"), "f\n");
  const auto status = runner.status();
  ASSERT_EQ(status.size(), 1U);
  EXPECT_FALSE(status[0].transaction);
  runner.undo();
  EXPECT_FALSE(table_exists("items_id_idx"));
}

TEST_F(Runs, ConcurrentlyInATransactionalMigrationIsRefusedWithAClearError) {
  psql("CREATE TABLE items (id int)");
  Registry registry;
  registry.add(migration(
      "20260101000001-index-items",
      [](QueryInterface& q) {
        q.add_index("items", {.fields = {"id"},
                              .name = {},
                              .unique = false,
                              .where = {},
                              .concurrently = true,
                              .method = {}});
      },
      [](QueryInterface& q) { q.remove_index("items_id_idx"); }));
  try {
    Runner(*db, registry).migrate();
    FAIL() << "CONCURRENTLY was sent inside a transaction";
  } catch (const MigrationError& e) {
    EXPECT_EQ(e.code(), "PGT04");
    EXPECT_THAT(e.what(), HasSubstr(".transaction = false"));
  }
  EXPECT_EQ(applied(), "\n");
}

}  // namespace
}  // namespace pgtally::orm::migrate::test
