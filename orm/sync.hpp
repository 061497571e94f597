// sync() for development: creates the tables (and enum types) of the given models with their
// constraints (primary key, NOT NULL, UNIQUE, DEFAULT, REFERENCES, CHECK from validators);
// alter adds missing columns and drops undeclared ones; force drops and recreates. The two
// destructive modes refuse to run when the Database is in production (PGTALLY_ENV=production).
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

// The DDL that creates a table: CREATE TYPE for its enums, then CREATE TABLE IF NOT EXISTS.
std::vector<std::string> create_statements(const TableInfo& table);

// Tables in dependency order (referenced tables first, as listed).
void sync_tables(Database& db, const std::vector<TableInfo>& tables, SyncMode mode);

template <Model... Ms>
void sync(Database& db, SyncMode mode = SyncMode::create) {
  sync_tables(db, {Ms::schema().info()...}, mode);
}

}  // namespace pgtally::orm
