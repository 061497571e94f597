// The meta table (Sequelize's SequelizeMeta): one row per applied migration with the checksum
// of its source, when it was applied, how long it took and whether it ran in a transaction.
// Its rows change in the same transaction as the migration they record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "orm/executor.hpp"
#include "orm/migrate/migration.hpp"

namespace pgtally::orm::migrate {

struct AppliedMigration {
  std::string name;
  std::string checksum;
  std::string applied_at;  // UTC, "2026-11-24 10:15:00Z"
  std::int64_t duration_ms = 0;
  bool transaction = true;
};

class MetaTable {
 public:
  static constexpr const char* kDefaultName = "pgtally_migrations";
  explicit MetaTable(std::string table = kDefaultName) : table_(std::move(table)) {}

  [[nodiscard]] const std::string& name() const { return table_; }
  [[nodiscard]] Statement create() const;  // CREATE TABLE IF NOT EXISTS
  [[nodiscard]] bool exists(Executor& executor) const;
  // Applied migrations by name; none when the table does not exist yet.
  [[nodiscard]] std::vector<AppliedMigration> read(Executor& executor) const;
  [[nodiscard]] Statement record(const Migration& migration, std::int64_t duration_ms) const;
  [[nodiscard]] Statement forget(const std::string& name) const;

 private:
  std::string table_;
};

}  // namespace pgtally::orm::migrate
