#include "orm/migrate/errors.hpp"

#include <fmt/format.h>

namespace pgtally::orm::migrate {
namespace {

constexpr std::size_t kStatementShown = 300;

std::string shorten(const std::string& statement) {
  if (statement.size() <= kStatementShown) return statement;
  return statement.substr(0, kStatementShown) + " ...";
}

std::string mismatch_message(const std::vector<std::string>& changed,
                             const std::vector<std::string>& missing) {
  std::string text = "refused: applied migrations no longer match their sources.";
  if (!changed.empty()) {
    text += fmt::format(
        "\n  changed since applied (checksum differs): {}. An applied migration is never edited: "
        "restore it and write a new migration for the change.",
        fmt::join(changed, ", "));
  }
  if (!missing.empty()) {
    text += fmt::format(
        "\n  applied but not found (no file, not compiled in): {}. Check --dir and that this is "
        "the app's current migrate executable; if it was removed on purpose, delete its row from "
        "the meta table.",
        fmt::join(missing, ", "));
  }
  return text;
}

}  // namespace

MigrationError::MigrationError(std::string migration, std::string statement, const Error& cause,
                               bool rolled_back)
    : Error(cause.code(),
            fmt::format("migration {} failed{}: {}\n  {}", migration,
                        statement.empty() ? std::string()
                                          : fmt::format(" at statement: {}", shorten(statement)),
                        cause.what(),
                        rolled_back
                            ? "its transaction was rolled back: the schema and the meta table "
                              "are as before it; fix it and run again"
                            : "it ran outside a transaction: the statements before this one stay "
                              "applied (an index built CONCURRENTLY may be left INVALID: drop "
                              "it); repair the schema, then run again")),
      migration_(std::move(migration)),
      statement_(std::move(statement)) {}

AppliedMigrationMismatch::AppliedMigrationMismatch(std::vector<std::string> changed,
                                                   std::vector<std::string> missing)
    : Error("PGT11", mismatch_message(changed, missing)),
      changed_(std::move(changed)),
      missing_(std::move(missing)) {}

}  // namespace pgtally::orm::migrate
