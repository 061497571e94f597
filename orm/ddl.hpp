// The DDL the ORM writes for a model's table: column definitions with their constraints, the
// enum types, CREATE TABLE. Shared by sync (development) and by the migrations' query
// interface (createTable from a model or from a column list), so both create the same table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "orm/model.hpp"

namespace pgtally::orm {

// The PostgreSQL enum type behind an enumeration column: enum_<table>_<column>.
std::string enum_type_name(const std::string& table, const ColumnInfo& column);

// `"name" TYPE [PRIMARY KEY] [NOT NULL] [DEFAULT ..] [UNIQUE] [REFERENCES ..] [CHECK ..]`, with
// constraints named as PostgreSQL names them by default (<table>_<column>_key, _fkey) and
// CHECKs from validators named <table>_<column>_<validator>. on_update is the ON UPDATE action
// of the column's reference (models declare none; migrations may).
std::string column_definition(const std::string& table, const ColumnInfo& column,
                              std::string_view on_update = {});

// CREATE TYPE ... AS ENUM for each enumeration column, in column order.
std::vector<std::string> create_enum_type_statements(const TableInfo& table);

// CREATE TABLE [IF NOT EXISTS] "table" (columns..., multi-column UNIQUEs, foreign keys not
// declared on a column). on_update: one entry per column or none.
std::string create_table_statement(const TableInfo& table, bool if_not_exists,
                                   const std::vector<std::string>& on_update = {});

// CREATE INDEX IF NOT EXISTS for the table's declared indexes.
std::vector<std::string> create_index_statements(const TableInfo& table);

}  // namespace pgtally::orm
