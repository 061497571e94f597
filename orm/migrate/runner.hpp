// Applies and reverts migrations against a Database: each in its own transaction together
// with its meta-table row, under a session-level advisory lock that serializes concurrent
// runs, after checking that no applied migration was edited or lost. The CLI drives it; tests
// and apps may call it directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "orm/database.hpp"
#include "orm/migrate/meta_table.hpp"
#include "orm/migrate/migration.hpp"

namespace pgtally::orm::migrate {

enum class State : std::uint8_t {
  applied,
  pending,
  changed,  // applied, but its source's checksum differs from the recorded one
  missing,  // applied, but no migration of that name is known
};

std::string_view state_name(State state);

struct StatusEntry {
  std::string name;
  State state = State::pending;
  std::string applied_at;  // applied, changed, missing
  std::int64_t duration_ms = 0;
  bool transaction = true;  // as declared (pending) or as it ran (applied)
};

struct RunnerOptions {
  std::string meta_table = MetaTable::kDefaultName;
  std::chrono::milliseconds lock_timeout{std::chrono::seconds(60)};
  // Print the SQL that would run (to dry_run_output) and change nothing.
  bool dry_run = false;
  std::function<void(const std::string&)> log{};             // progress lines
  std::function<void(const std::string&)> dry_run_output{};  // SQL text
};

struct UndoOptions {
  std::optional<std::string> to{};  // revert down to and including this one
  bool all = false;                 // revert every applied migration
};

class Runner {
 public:
  Runner(Database& db, Registry migrations, RunnerOptions options = {});

  // Every known and every applied migration, by name. Takes no lock.
  std::vector<StatusEntry> status();
  // Applies pending migrations in name order, up to and including `to` when given. Returns the
  // names applied (that would be, in a dry run). Throws MigrationError (the failed one rolled
  // back, the ones before it stay applied), AppliedMigrationMismatch, LockTimeout, UsageError.
  std::vector<std::string> migrate(const std::optional<std::string>& to = std::nullopt);
  // Reverts the last applied migration, or as UndoOptions says; newest first.
  std::vector<std::string> undo(const UndoOptions& options = {});

 private:
  void log(const std::string& line) const;
  void check_applied(const std::vector<AppliedMigration>& applied) const;
  std::vector<AppliedMigration> read_applied();
  void run(const Migration& migration, bool up);
  void run_dry(const Migration& migration, bool up);

  Database* db_;
  Registry migrations_;
  RunnerOptions options_;
  MetaTable meta_;
};

}  // namespace pgtally::orm::migrate
