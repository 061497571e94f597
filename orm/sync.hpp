// sync() for development: creates the tables (and enum types) of the given models with their
// constraints (primary key, NOT NULL, UNIQUE, DEFAULT, REFERENCES, CHECK from validators,
// multi-column UNIQUE, the foreign keys the association registry declares) and indexes;
// alter adds missing columns and drops undeclared ones; force drops and recreates. The two
// destructive modes refuse to run when the Database is in production (PGTALLY_ENV=production).
// Constraints and indexes come with the CREATE TABLE: alter adds none to an existing table.
#pragma once

#include <string>
#include <vector>

#include "orm/database.hpp"
#include "orm/model.hpp"

namespace pgtally::orm {

enum class SyncMode : std::uint8_t {
  create,  // CREATE TABLE IF NOT EXISTS
  alter,   // create, then add missing and drop undeclared columns (destructive)
  force,   // DROP TABLE ... CASCADE, then create (destructive)
};

// The DDL that creates a table: CREATE TABLE IF NOT EXISTS with its constraints, then
// CREATE INDEX IF NOT EXISTS for its indexes.
std::vector<std::string> create_statements(const TableInfo& table);

// Tables in dependency order (referenced tables first, as listed).
void sync_tables(Database& db, const std::vector<TableInfo>& tables, SyncMode mode);

// Adds each foreign key to the table it belongs to; throws UsageError for a key whose table is
// not among them (the model was left out of the sync list).
std::vector<TableInfo> with_foreign_keys(std::vector<TableInfo> tables,
                                         const std::vector<ForeignKey>& foreign_keys);

template <Model... Ms>
void sync(Database& db, SyncMode mode = SyncMode::create) {
  sync_tables(db, {Ms::schema().info()...}, mode);
}

// With the foreign keys of an association registry: sync<User, Order>(db, mode,
// registry.foreign_keys()). List referenced models first.
template <Model... Ms>
void sync(Database& db, SyncMode mode, const std::vector<ForeignKey>& foreign_keys) {
  sync_tables(db, with_foreign_keys({Ms::schema().info()...}, foreign_keys), mode);
}

}  // namespace pgtally::orm
