// pgtally-migrate and storefront-migrate as processes against a real PostgreSQL: status's
// states, refusals and their exit codes, dry runs, generate, production, passwords, and two
// processes migrating at once while one builds an index CONCURRENTLY.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orm/connection.hpp"
#include "orm/migrate/advisory_lock.hpp"
#include "orm/migrate/cli.hpp"
#include "tests/migrate/fixture.hpp"
#include "tests/migrate/temp_dir.hpp"

namespace pgtally::orm::migrate::test {
namespace {

using pgtally::testing::BackgroundProcess;
using pgtally::testing::ProcessOptions;
using pgtally::testing::ProcessResult;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

using Env = std::vector<std::pair<std::string, std::string>>;

class Cli : public MigrateTest {
 protected:
  // Runs an executable with --url naming this test's database (unless url_flag is false).
  ProcessResult run(const std::string& exe, std::vector<std::string> args, const Env& env = {},
                    bool url_flag = true) const {
    std::vector<std::string> argv{exe};
    argv.insert(argv.end(), args.begin(), args.end());
    if (url_flag) {
      argv.emplace_back("--url");
      argv.push_back(url());
    }
    return pgtally::testing::run_process(argv, options(env));
  }
  ProcessResult migrate(std::vector<std::string> args, const Env& env = {}) const {
    return run(PGTALLY_MIGRATE_EXE, std::move(args), env);
  }
  ProcessResult storefront(std::vector<std::string> args, const Env& env = {}) const {
    return run(STOREFRONT_MIGRATE_EXE, std::move(args), env);
  }
  static ProcessOptions options(const Env& env) {
    ProcessOptions o;
    o.env = {{"PGTALLY_ENV", "development"}, {"DATABASE_URL", ""}};
    o.env.insert(o.env.end(), env.begin(), env.end());
    o.deadline = std::chrono::seconds(90);
    return o;
  }
};

// Four migrations, each creating one table.
void write_four(const TempDir& dir) {
  for (const char* slug : {"a", "b", "c", "d"}) {
    const std::string name =
        std::string("2026010100000") + std::to_string(1 + (slug[0] - 'a')) + "-" + slug;
    dir.write_pair(name, fmt::format("CREATE TABLE {}_t (id int);", slug),
                   fmt::format("DROP TABLE {}_t;", slug));
  }
}

TEST_F(Cli, StatusShowsAppliedPendingChangedAndMissingAndMigrateRefusesThem) {
  const TempDir dir;
  write_four(dir);
  const auto first = migrate({"migrate", "--to", "20260101000003-c", "--dir", dir.str()});
  ASSERT_EQ(first.exit_code, exit_code::ok) << first.output;
  EXPECT_THAT(first.output, HasSubstr("== 20260101000003-c: migrated"));
  dir.write("20260101000002-b.up.sql", "CREATE TABLE b_t (id bigint);");
  dir.remove("20260101000003-c.up.sql");
  dir.remove("20260101000003-c.down.sql");

  const auto status = migrate({"status", "--dir", dir.str()});
  EXPECT_EQ(status.exit_code, exit_code::applied_mismatch) << status.output;
  EXPECT_THAT(status.output, ContainsRegex("applied +20260101000001-a "));
  EXPECT_THAT(status.output, ContainsRegex("changed +20260101000002-b "));
  EXPECT_THAT(status.output, ContainsRegex("missing +20260101000003-c "));
  EXPECT_THAT(status.output, ContainsRegex("pending +20260101000004-d "));
  EXPECT_THAT(status.output, HasSubstr("1 applied, 1 pending, 1 changed, 1 missing"));

  const auto refused = migrate({"migrate", "--dir", dir.str()});
  EXPECT_EQ(refused.exit_code, exit_code::applied_mismatch) << refused.output;
  EXPECT_THAT(refused.output,
              HasSubstr("changed since applied (checksum differs): 20260101000002-b"));
  EXPECT_THAT(refused.output, HasSubstr("applied but not found"));
  EXPECT_FALSE(table_exists("d_t"));
}

TEST_F(Cli, FailingMigrationExitsOneNamingItAndItsStatement) {
  const TempDir dir;
  write_four(dir);
  dir.write("20260101000002-b.up.sql",
            "CREATE TABLE b_t (id int);\n-- then a mistake\nINSERT INTO nowhere VALUES (1);\n");
  const auto result = migrate({"migrate", "--dir", dir.str()});
  EXPECT_EQ(result.exit_code, exit_code::migration_failed) << result.output;
  EXPECT_THAT(result.output, HasSubstr("migration 20260101000002-b failed at statement: "
                                       "INSERT INTO nowhere VALUES (1)"));
  EXPECT_THAT(result.output, HasSubstr("relation \"nowhere\" does not exist"));
  EXPECT_THAT(result.output, HasSubstr("rolled back"));
  EXPECT_TRUE(table_exists("a_t"));
  EXPECT_FALSE(table_exists("b_t"));
  EXPECT_FALSE(table_exists("c_t"));
  EXPECT_EQ(applied(), "20260101000001-a\n");
}

TEST_F(Cli, DryRunPrintsTheSqlAndChangesNothing) {
  const std::string empty = dump();
  const auto planned = storefront({"migrate", "--dry-run"});
  ASSERT_EQ(planned.exit_code, exit_code::ok) << planned.output;
  EXPECT_THAT(planned.output, HasSubstr("CREATE TABLE \"order_items\""));
  EXPECT_THAT(planned.output, HasSubstr("dry run: nothing is changed"));
  EXPECT_EQ(dump(), empty);
  EXPECT_FALSE(table_exists(MetaTable::kDefaultName));

  ASSERT_EQ(storefront({"migrate"}).exit_code, exit_code::ok);
  const std::string migrated = dump();
  const auto undo_plan = storefront({"undo", "--all", "--dry-run"});
  ASSERT_EQ(undo_plan.exit_code, exit_code::ok) << undo_plan.output;
  EXPECT_THAT(undo_plan.output, HasSubstr("DROP TABLE \"categories\""));
  EXPECT_EQ(dump(), migrated);
  EXPECT_EQ(psql("SELECT count(*) FROM pgtally_migrations"), "8\n");
}

TEST_F(Cli, GenerateWritesSkeletonsWithSortableNames) {
  const TempDir dir;
  const auto sql = migrate({"generate", "add-widgets", "--sql", "--dir", dir.str()});
  ASSERT_EQ(sql.exit_code, exit_code::ok) << sql.output;
  const auto cpp = migrate({"generate", "add-gadgets", "--cpp", "--dir", dir.str()});
  ASSERT_EQ(cpp.exit_code, exit_code::ok) << cpp.output;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 3U);
  EXPECT_THAT(files[0], ContainsRegex("^[0-9]{14}-add-widgets\\.down\\.sql$"));
  EXPECT_THAT(files[1], ContainsRegex("^[0-9]{14}-add-widgets\\.up\\.sql$"));
  EXPECT_THAT(files[2], ContainsRegex("^[0-9]{14}-add-gadgets\\.cpp$"));
  EXPECT_GT(files[2].substr(0, 14), files[0].substr(0, 14));
  EXPECT_THAT(cpp.output, HasSubstr("pgtally_add_migrations"));

  const auto applied_now = migrate({"migrate", "--dir", dir.str()});
  EXPECT_EQ(applied_now.exit_code, exit_code::ok) << applied_now.output;
  EXPECT_EQ(applied(), files[1].substr(0, files[1].size() - 7) + "\n");

  EXPECT_EQ(migrate({"generate", "x", "--dir", dir.str()}).exit_code, exit_code::usage);
  EXPECT_EQ(migrate({"generate", "Not A Slug", "--sql", "--dir", dir.str()}).exit_code,
            exit_code::usage);
}

TEST_F(Cli, UndoAllIsRefusedInProductionUnlessForced) {
  ASSERT_EQ(storefront({"migrate"}).exit_code, exit_code::ok);
  const Env production{{"PGTALLY_ENV", "production"}};
  const auto refused = storefront({"undo", "--all"}, production);
  EXPECT_EQ(refused.exit_code, exit_code::refused_in_production) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("PGTALLY_ENV=production"));
  EXPECT_TRUE(table_exists("categories"));
  const auto last = storefront({"undo"}, production);
  EXPECT_EQ(last.exit_code, exit_code::ok) << last.output;
  EXPECT_FALSE(table_exists("order_items"));
  const auto forced = storefront({"undo", "--all", "--force"}, production);
  EXPECT_EQ(forced.exit_code, exit_code::ok) << forced.output;
  EXPECT_FALSE(table_exists("categories"));
}

TEST_F(Cli, PasswordIsRefusedOnTheCommandLineAndNeverPrinted) {
  psql(
      "DO $$ BEGIN CREATE ROLE migrator LOGIN SUPERUSER PASSWORD 'Sekr1t-Pa55'; "
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
      "postgres");
  const auto& pg = pgtally::testing::postgres();
  const std::string with_password =
      fmt::format("postgresql://migrator:Sekr1t-Pa55@{}:{}/{}", pg.host(), pg.port(), database);
  const auto refused = run(STOREFRONT_MIGRATE_EXE, {"status", "--url", with_password}, {}, false);
  EXPECT_EQ(refused.exit_code, exit_code::usage) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("PGPASSWORD"));
  EXPECT_THAT(refused.output, Not(HasSubstr("Sekr1t-Pa55")));

  const auto from_env =
      run(STOREFRONT_MIGRATE_EXE, {"migrate"}, {{"DATABASE_URL", with_password}}, false);
  EXPECT_EQ(from_env.exit_code, exit_code::ok) << from_env.output;
  EXPECT_THAT(from_env.output, HasSubstr("user=migrator"));
  EXPECT_THAT(from_env.output, Not(HasSubstr("Sekr1t-Pa55")));
  EXPECT_TRUE(table_exists("order_items"));
}

TEST_F(Cli, LockHeldElsewhereExitsFourNamingTheHolder) {
  Connection holder(url(), "other-deploy", 1);
  holder.exec("SELECT pg_advisory_lock($1::bigint)",
              {std::to_string(AdvisoryLock::key_for(MetaTable::kDefaultName))});
  const auto result = storefront({"migrate", "--lock-timeout", "1"});
  EXPECT_EQ(result.exit_code, exit_code::lock_timeout) << result.output;
  EXPECT_THAT(result.output, HasSubstr(fmt::format("backend pid {}", holder.backend_pid())));
  EXPECT_FALSE(table_exists("categories"));
}

TEST_F(Cli, UsageErrorsExitTwoAndHelpListsTheExitCodes) {
  EXPECT_EQ(storefront({}).exit_code, exit_code::usage);
  EXPECT_EQ(storefront({"migrate", "--bogus"}).exit_code, exit_code::usage);
  const auto unknown = storefront({"migrate", "--to", "20991231000000-nope"});
  EXPECT_EQ(unknown.exit_code, exit_code::usage) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("20991231000000-nope"));
  EXPECT_EQ(storefront({"undo", "--all", "--to", "20261124100000-create-categories"}).exit_code,
            exit_code::usage);
  EXPECT_EQ(migrate({"status", "--dir", "/nonexistent/migrations"}).exit_code, exit_code::usage);
  const auto help = run(PGTALLY_MIGRATE_EXE, {"--help"}, {}, false);
  EXPECT_EQ(help.exit_code, exit_code::ok);
  EXPECT_THAT(help.output, HasSubstr("Exit codes:"));
  EXPECT_THAT(help.output, HasSubstr("4  the migration lock"));
  const auto unreachable =
      run(STOREFRONT_MIGRATE_EXE, {"status", "--url", "host=127.0.0.1 port=1 dbname=x"}, {}, false);
  EXPECT_EQ(unreachable.exit_code, exit_code::database) << unreachable.output;
}

// Process A applies three migrations; the first waits on a table lock this test holds, so that
// process B starts while A holds the migration lock; the second builds an index CONCURRENTLY,
// which waits for every transaction with an older snapshot: B must wait without holding one.
TEST_F(Cli, TwoProcessesApplyEachMigrationOnceWhileOneBuildsAnIndexConcurrently) {
  psql(
      "CREATE TABLE gate (); CREATE TABLE side_effects (migration text NOT NULL);"
      "CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, 1000)");
  const TempDir dir;
  dir.write_pair("20260101000001-first",
                 "INSERT INTO side_effects VALUES ('first');\nLOCK TABLE gate IN SHARE MODE;",
                 "DELETE FROM side_effects WHERE migration = 'first';");
  dir.write_pair("20260101000002-index",
                 "-- pgtally:no-transaction\nINSERT INTO side_effects VALUES ('index');\n"
                 "CREATE INDEX CONCURRENTLY items_id_idx ON items (id);",
                 "DROP INDEX CONCURRENTLY items_id_idx;");
  dir.write_pair("20260101000003-third", "INSERT INTO side_effects VALUES ('third');",
                 "DELETE FROM side_effects WHERE migration = 'third';");

  Connection gate(url(), "test-gate", 2);
  gate.command("BEGIN");
  gate.command("LOCK TABLE gate IN ACCESS EXCLUSIVE MODE");
  const std::vector<std::string> argv{
      PGTALLY_MIGRATE_EXE, "migrate", "--dir", dir.str(), "--url", url(), "--lock-timeout", "60"};
  BackgroundProcess a(argv, options({}));
  Connection watcher(url(), "test-watcher", 3);
  wait_until([&] {
    return watcher
               .exec(
                   "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                   "AND wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE gate IN SHARE%'",
                   {})
               .value(0, 0) == "1";
  });
  BackgroundProcess b(argv, options({}));
  wait_until(
      [&] { return b.output().find("waiting for the migration lock") != std::string::npos; });
  gate.command("COMMIT");

  const auto a_exit = a.wait(std::chrono::seconds(90));
  const auto b_exit = b.wait(std::chrono::seconds(90));
  EXPECT_EQ(a_exit, exit_code::ok) << a.output();
  EXPECT_EQ(b_exit, exit_code::ok) << b.output();
  EXPECT_THAT(a.output(), HasSubstr("== 20260101000002-index: migrating (outside a transaction)"));
  EXPECT_THAT(b.output(), HasSubstr("No pending migrations"));
  EXPECT_EQ(psql("SELECT string_agg(migration, ',' ORDER BY migration) FROM side_effects"),
            "first,index,third\n");
  EXPECT_EQ(applied(), "20260101000001-first,20260101000002-index,20260101000003-third\n");
  EXPECT_EQ(psql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_id_idx'::regclass"),
            "t\n");
}

}  // namespace
}  // namespace pgtally::orm::migrate::test
