// The errors a migration run raises, beyond the ORM's own (orm/errors.hpp): codes "PGT11" an
// applied migration changed or missing, "PGT12" lock timeout, "PGT13" a migration's own code
// threw something other than an ORM error. Each maps to one exit code of pgtally-migrate.
#pragma once

#include <string>
#include <vector>

#include "orm/errors.hpp"

namespace pgtally::orm::migrate {

// A migration's up or down failed. code() is the cause's code (a SQLSTATE, or an ORM code); the
// message names the migration, the statement and whether its changes were rolled back.
class MigrationError : public Error {
 public:
  MigrationError(std::string migration, std::string statement, const Error& cause,
                 bool rolled_back);
  [[nodiscard]] const std::string& migration() const { return migration_; }
  [[nodiscard]] const std::string& statement() const { return statement_; }

 private:
  std::string migration_;
  std::string statement_;
};

// Applied migrations whose source changed (checksum differs) or is no longer known: the run is
// refused, since environments would no longer agree on what the schema is.
class AppliedMigrationMismatch : public Error {
 public:
  AppliedMigrationMismatch(std::vector<std::string> changed, std::vector<std::string> missing);
  [[nodiscard]] const std::vector<std::string>& changed() const { return changed_; }
  [[nodiscard]] const std::vector<std::string>& missing() const { return missing_; }

 private:
  std::vector<std::string> changed_;
  std::vector<std::string> missing_;
};

// Another run held the migration lock for longer than the lock timeout.
class LockTimeout : public Error {
 public:
  explicit LockTimeout(const std::string& message) : Error("PGT12", message) {}
};

}  // namespace pgtally::orm::migrate
