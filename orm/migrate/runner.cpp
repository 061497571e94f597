#include "orm/migrate/runner.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "orm/errors.hpp"
#include "orm/migrate/advisory_lock.hpp"
#include "orm/migrate/errors.hpp"
#include "orm/migrate/query_interface.hpp"

namespace pgtally::orm::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// A migration that runs outside a transaction still uses one session throughout, so that a
// SET in it applies to the statements after it.
class SessionExecutor final : public Executor {
 public:
  SessionExecutor(Database& db, Lease lease) : db_(&db), lease_(std::move(lease)) {}
  Result run(const Statement& statement) override { return db_->execute_on(lease_, statement); }
  Database& database() override { return *db_; }

 private:
  Database* db_;
  Lease lease_;
};

std::string where_it_runs(const Migration& m) {
  return m.definition.transaction ? "in a transaction" : "outside a transaction";
}

std::string as_sql_text(const Statement& statement) {
  std::string text = statement.sql + ";";
  for (std::size_t i = 0; i < statement.params.size(); ++i) {
    const auto& p = statement.params[i];
    text += fmt::format("\n-- ${} = {}", i + 1, p ? quote_literal(*p) : std::string("NULL"));
  }
  return text;
}

}  // namespace

std::string_view state_name(State state) {
  switch (state) {
    case State::applied:
      return "applied";
    case State::pending:
      return "pending";
    case State::changed:
      return "changed";
    case State::missing:
      return "missing";
  }
  return "unknown";
}

Runner::Runner(Database& db, Registry migrations, RunnerOptions options)
    : db_(&db),
      migrations_(std::move(migrations)),
      options_(std::move(options)),
      meta_(options_.meta_table) {}

void Runner::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

std::vector<AppliedMigration> Runner::read_applied() {
  return meta_.read(*db_);
}

void Runner::check_applied(const std::vector<AppliedMigration>& applied) const {
  std::vector<std::string> changed;
  std::vector<std::string> missing;
  for (const auto& a : applied) {
    const Migration* known = migrations_.find(a.name);
    if (known == nullptr) {
      missing.push_back(a.name);
    } else if (known->checksum != a.checksum) {
      changed.push_back(a.name);
    }
  }
  if (!changed.empty() || !missing.empty()) {
    throw AppliedMigrationMismatch(std::move(changed), std::move(missing));
  }
}

std::vector<StatusEntry> Runner::status() {
  const auto applied = read_applied();
  std::map<std::string, StatusEntry> entries;
  for (const auto& m : migrations_.migrations()) {
    entries[m.name] = StatusEntry{m.name, State::pending, {}, 0, m.definition.transaction};
  }
  for (const auto& a : applied) {
    const Migration* known = migrations_.find(a.name);
    const State state = known == nullptr                ? State::missing
                        : known->checksum != a.checksum ? State::changed
                                                        : State::applied;
    entries[a.name] = StatusEntry{a.name, state, a.applied_at, a.duration_ms, a.transaction};
  }
  std::vector<StatusEntry> out;
  out.reserve(entries.size());
  for (auto& [name, entry] : entries)
    out.push_back(std::move(entry));
  return out;
}

std::vector<std::string> Runner::migrate(const std::optional<std::string>& to) {
  if (to && migrations_.find(*to) == nullptr) {
    throw UsageError(fmt::format("--to {}: no migration of that name is known", *to));
  }
  std::optional<AdvisoryLock> lock;
  if (!options_.dry_run) {
    lock.emplace(db_->config().conninfo, AdvisoryLock::key_for(meta_.name()), options_.lock_timeout,
                 options_.log);
    db_->run(meta_.create());
  }
  const auto applied = read_applied();
  check_applied(applied);
  std::vector<std::string> done;
  for (const auto& m : migrations_.migrations()) {
    if (to && m.name > *to) break;
    const bool is_applied =
        std::any_of(applied.begin(), applied.end(),
                    [&](const AppliedMigration& a) { return a.name == m.name; });
    if (is_applied) continue;
    options_.dry_run ? run_dry(m, true) : run(m, true);
    done.push_back(m.name);
  }
  if (done.empty()) log("No pending migrations: the schema is up to date.");
  return done;
}

std::vector<std::string> Runner::undo(const UndoOptions& options) {
  std::optional<AdvisoryLock> lock;
  if (!options_.dry_run) {
    lock.emplace(db_->config().conninfo, AdvisoryLock::key_for(meta_.name()), options_.lock_timeout,
                 options_.log);
  }
  auto applied = read_applied();
  check_applied(applied);
  if (options.to) {
    const bool known = std::any_of(applied.begin(), applied.end(), [&](const AppliedMigration& a) {
      return a.name == *options.to;
    });
    if (!known) {
      throw UsageError(fmt::format("--to {}: that migration is not applied", *options.to));
    }
  }
  std::vector<std::string> done;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    if (options.to && it->name < *options.to) break;
    const Migration& m = *migrations_.find(it->name);
    options_.dry_run ? run_dry(m, false) : run(m, false);
    done.push_back(m.name);
    if (!options.to && !options.all) break;
  }
  if (done.empty()) log("No applied migrations: nothing to undo.");
  return done;
}

void Runner::run(const Migration& m, bool up) {
  const auto& step = up ? m.definition.up : m.definition.down;
  const std::string verb = up ? "migrat" : "revert";
  log(fmt::format("== {}: {}ing ({})", m.name, verb, where_it_runs(m)));
  const auto start = Clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  };
  const Statement bookkeeping = up ? meta_.record(m, 0) : meta_.forget(m.name);
  std::string outside;  // a failing statement that is not the migration's own
  if (m.definition.transaction) {
    Transaction tx = db_->begin();
    QueryInterface q(tx, true);
    try {
      step(q);
      outside = bookkeeping.sql;
      tx.run(up ? meta_.record(m, elapsed_ms()) : bookkeeping);
      outside = "COMMIT";  // deferred constraints are checked here
      tx.commit();
    } catch (const Error& e) {
      tx.abandon();
      throw MigrationError(m.name, outside.empty() ? q.failed_statement() : outside, e, true);
    } catch (const std::exception& e) {
      tx.abandon();
      throw MigrationError(m.name, outside.empty() ? q.failed_statement() : outside,
                           Error("PGT13", e.what()), true);
    }
  } else {
    SessionExecutor session(*db_, db_->acquire());
    QueryInterface q(session, false);
    try {
      step(q);
      outside = bookkeeping.sql;
      session.run(up ? meta_.record(m, elapsed_ms()) : bookkeeping);
    } catch (const Error& e) {
      throw MigrationError(m.name, outside.empty() ? q.failed_statement() : outside, e, false);
    } catch (const std::exception& e) {
      throw MigrationError(m.name, outside.empty() ? q.failed_statement() : outside,
                           Error("PGT13", e.what()), false);
    }
  }
  log(fmt::format("== {}: {}ed ({} ms)", m.name, verb, elapsed_ms()));
}

void Runner::run_dry(const Migration& m, bool up) {
  auto print = [this](const std::string& text) {
    if (options_.dry_run_output) options_.dry_run_output(text);
  };
  print(fmt::format("-- {} {} ({})", m.name, up ? "up" : "down", where_it_runs(m)));
  if (m.definition.transaction) print("BEGIN;");
  QueryInterface q = QueryInterface::dry_run(
      m.definition.transaction, [&](const Statement& statement) { print(as_sql_text(statement)); });
  try {
    (up ? m.definition.up : m.definition.down)(q);
  } catch (const Error& e) {
    throw UsageError(fmt::format(
        "the dry run stopped in {}: {} (a dry run sends nothing, so a migration whose code "
        "depends on what its queries return cannot be planned)",
        m.name, e.what()));
  }
  print(as_sql_text(up ? meta_.record(m, 0) : meta_.forget(m.name)));
  if (m.definition.transaction) print("COMMIT;");
}

}  // namespace pgtally::orm::migrate
