#include "orm/migrate/cli.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "orm/database.hpp"
#include "orm/errors.hpp"
#include "orm/migrate/errors.hpp"
#include "orm/migrate/generate.hpp"
#include "orm/migrate/runner.hpp"
#include "orm/migrate/sql_file_source.hpp"

namespace pgtally::orm::migrate {
namespace {

constexpr std::string_view kFooter = R"(
The database comes from --url or, without it, from DATABASE_URL or libpq's PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE. A password is never accepted in --url (other users can read
the process list): use PGPASSWORD, ~/.pgpass or DATABASE_URL. PGTALLY_ENV=production makes
'undo --all' refuse unless --force.

Exit codes:
  0  done (also: nothing to do)
  1  a migration failed; it was rolled back (unless it ran outside a transaction: see the log)
  2  usage: bad arguments, unknown migration, password in --url, unreadable --dir
  3  refused: an applied migration was changed or is missing (status says which)
  4  the migration lock was not acquired within --lock-timeout (another run holds it)
  5  refused in production (undo --all without --force)
  6  cannot connect to the database, or it failed outside a migration
)";

struct Flags {
  std::string url;
  std::string dir;
  std::string meta_table = MetaTable::kDefaultName;
  int lock_timeout_s = 60;
  std::string to;
  bool dry_run = false;
  bool all = false;
  bool force = false;
  std::string slug;
  bool cpp = false;
  bool sql = false;
};

bool has_password(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return false;  // Config::from_url reports the parse error
  bool found = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && o->val[0] != '\0') {
      found = true;
    }
  }
  PQconninfoFree(options);
  return found;
}

Config database_config(const Flags& flags) {
  if (!flags.url.empty() && has_password(flags.url)) {
    throw UsageError(
        "--url carries a password, which other users of this machine can read from the process "
        "list: leave it out and use PGPASSWORD, ~/.pgpass or DATABASE_URL");
  }
  Config config = flags.url.empty() ? Config::from_env() : Config::from_url(flags.url);
  config.application_name = "pgtally-migrate";
  config.pool.max = 2;
  config.pool.evict_interval = std::chrono::milliseconds(0);
  return config;
}

Registry all_migrations(const Registry& compiled, const std::string& dir) {
  Registry registry = compiled;
  if (dir.empty()) return registry;
  for (auto& m : read_sql_migrations(dir))
    registry.add(std::move(m));
  return registry;
}

void print_status(std::ostream& out, const std::vector<StatusEntry>& entries) {
  std::size_t width = 4;
  for (const auto& e : entries)
    width = std::max(width, e.name.size());
  out << fmt::format("{:<8} {:<{}} {:<20} {:>8}  {}\n", "state", "name", width, "applied at",
                     "took", "runs");
  std::map<State, int> counts;
  for (const auto& e : entries) {
    ++counts[e.state];
    const bool ran = e.state != State::pending;
    out << fmt::format("{:<8} {:<{}} {:<20} {:>8}  {}\n", state_name(e.state), e.name, width,
                       e.applied_at, ran ? fmt::format("{} ms", e.duration_ms) : std::string(),
                       e.transaction ? "in a transaction" : "outside a transaction");
  }
  out << fmt::format("{} applied, {} pending, {} changed, {} missing\n", counts[State::applied],
                     counts[State::pending], counts[State::changed], counts[State::missing]);
  if (counts[State::changed] > 0) {
    out << "changed: edited since applied; restore it and write a new migration instead\n";
  }
  if (counts[State::missing] > 0) {
    out << "missing: applied, but no such migration is compiled in or in --dir\n";
  }
}

int exit_for(const Error& e) {
  if (dynamic_cast<const MigrationError*>(&e) != nullptr) return exit_code::migration_failed;
  if (dynamic_cast<const AppliedMigrationMismatch*>(&e) != nullptr) {
    return exit_code::applied_mismatch;
  }
  if (dynamic_cast<const LockTimeout*>(&e) != nullptr) return exit_code::lock_timeout;
  if (dynamic_cast<const ProductionRefusal*>(&e) != nullptr) {
    return exit_code::refused_in_production;
  }
  if (dynamic_cast<const UsageError*>(&e) != nullptr) return exit_code::usage;
  return exit_code::database;
}

}  // namespace

int run_cli(int argc, char** argv, const Registry& registry, const CliOptions& options) {
  std::vector<std::string> args;
  args.reserve(static_cast<std::size_t>(argc));
  for (int i = 0; i < argc; ++i)
    args.emplace_back(argv[i]);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
  return run_cli(args, registry, options, std::cout, std::cerr);
}

int run_cli(const std::vector<std::string>& args, const Registry& registry,
            const CliOptions& options, std::ostream& out, std::ostream& err) {
  CLI::App app{"Versioned schema migrations for PostgreSQL: apply, inspect and revert them.",
               options.program};
  app.footer(std::string(kFooter));
  app.require_subcommand(1);
  app.fallthrough();
  Flags f;
  app.add_option("--url", f.url, "database URL or conninfo, without a password");
  app.add_option(
      "--dir", f.dir,
      options.default_dir.empty()
          ? std::string("directory of .sql migrations (NAME.up.sql / NAME.down.sql)")
          : fmt::format("directory of .sql migrations (default: {})", options.default_dir));
  app.add_option("--lock-timeout", f.lock_timeout_s,
                 "seconds to wait for another run's migration lock (default 60)")
      ->check(CLI::Range(0, 86'400));
  app.add_option("--meta-table", f.meta_table, "the table recording applied migrations")
      ->capture_default_str();

  auto* migrate = app.add_subcommand("migrate", "apply pending migrations in name order");
  migrate->add_option("--to", f.to, "stop after this migration (inclusive)");
  migrate->add_flag("--dry-run", f.dry_run, "print the SQL that would run; change nothing");
  auto* status =
      app.add_subcommand("status", "list migrations: applied, pending, changed, missing");
  auto* undo = app.add_subcommand("undo", "revert the last applied migration");
  auto* undo_to = undo->add_option("--to", f.to, "revert down to this migration (inclusive)");
  undo->add_flag("--all", f.all, "revert every applied migration")->excludes(undo_to);
  undo->add_flag("--force", f.force, "allow --all when PGTALLY_ENV=production");
  undo->add_flag("--dry-run", f.dry_run, "print the SQL that would run; change nothing");
  auto* generate_cmd = app.add_subcommand("generate", "write the skeleton of a new migration");
  generate_cmd->add_option("name", f.slug, "a slug, e.g. add-orders-status")->required();
  auto* cpp = generate_cmd->add_flag("--cpp", f.cpp, "a C++ migration (compiled in)");
  generate_cmd->add_flag("--sql", f.sql, "an .up.sql / .down.sql pair")->excludes(cpp);

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();  // the program name
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return exit_code::ok;
  } catch (const CLI::ParseError& e) {
    err << fmt::format("{}: {}\nRun '{} --help' for the commands and options.\n", options.program,
                       e.what(), options.program);
    return exit_code::usage;
  }
  auto say = [&out](const std::string& line) { out << line << std::endl; };
  const std::string dir = f.dir.empty() ? options.default_dir : f.dir;
  try {
    if (generate_cmd->parsed()) {
      if (!f.cpp && !f.sql) throw UsageError("generate needs --cpp or --sql");
      if (dir.empty()) throw UsageError("generate needs --dir: where to write the migration");
      std::vector<std::string> existing;
      for (const auto& m : registry.migrations())
        existing.push_back(m.name);
      for (const auto& path : generate(dir, f.slug, f.cpp ? Language::cpp : Language::sql,
                                       std::chrono::system_clock::now(), existing)) {
        say(fmt::format("wrote {}", path.string()));
      }
      if (f.cpp) {
        say("compile it in: pgtally_add_migrations(<your migrate target> <its directory>)");
      }
      return exit_code::ok;
    }
    const Registry migrations = all_migrations(registry, dir);
    const Config config = database_config(f);
    if (undo->parsed() && f.all && config.production && !f.force && !f.dry_run) {
      throw ProductionRefusal(
          "undo --all reverts every migration, dropping the schema and its data, and is refused "
          "because PGTALLY_ENV=production; add --force if that is really meant");
    }
    say(fmt::format("{}: database {} (meta table {}){}", options.program, config.redacted(),
                    f.meta_table, f.dry_run ? ", dry run: nothing is changed" : ""));
    Database db(config);
    RunnerOptions runner_options;
    runner_options.meta_table = f.meta_table;
    runner_options.lock_timeout = std::chrono::seconds(f.lock_timeout_s);
    runner_options.dry_run = f.dry_run;
    runner_options.log = say;
    runner_options.dry_run_output = say;
    Runner runner(db, migrations, runner_options);
    if (status->parsed()) {
      const auto entries = runner.status();
      print_status(out, entries);
      const bool mismatch = std::any_of(entries.begin(), entries.end(), [](const StatusEntry& e) {
        return e.state == State::changed || e.state == State::missing;
      });
      return mismatch ? exit_code::applied_mismatch : exit_code::ok;
    }
    if (migrate->parsed()) {
      runner.migrate(f.to.empty() ? std::nullopt : std::optional<std::string>(f.to));
    } else {
      UndoOptions undo_options;
      if (!f.to.empty()) undo_options.to = f.to;
      undo_options.all = f.all;
      runner.undo(undo_options);
    }
    return exit_code::ok;
  } catch (const Error& e) {
    err << fmt::format("{}: error [{}]: {}\n", options.program, e.code(), e.what());
    return exit_for(e);
  } catch (const std::exception& e) {
    err << fmt::format("{}: error: {}\n", options.program, e.what());
    return exit_code::database;
  }
}

}  // namespace pgtally::orm::migrate
