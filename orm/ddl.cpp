#include "orm/ddl.hpp"

#include <fmt/format.h>

namespace pgtally::orm {

std::string enum_type_name(const std::string& table, const ColumnInfo& column) {
  return fmt::format("enum_{}_{}", table, column.name);
}

std::string column_definition(const std::string& table, const ColumnInfo& c,
                              std::string_view on_update) {
  std::string sql = quote_ident(c.name) + " ";
  if (c.auto_increment) {
    sql += c.type.kind() == Type::Kind::bigint ? "BIGSERIAL" : "SERIAL";
  } else {
    sql += c.type.kind() == Type::Kind::enumeration ? quote_ident(enum_type_name(table, c))
                                                    : c.type.sql();
  }
  if (c.primary_key) sql += " PRIMARY KEY";
  if (!c.allow_null && !c.primary_key) sql += " NOT NULL";
  if (c.default_sql) sql += " DEFAULT " + *c.default_sql;
  if (c.unique) {
    sql += fmt::format(" CONSTRAINT {} UNIQUE", quote_ident(table + "_" + c.name + "_key"));
  }
  if (c.references) {
    sql += fmt::format(" CONSTRAINT {} REFERENCES {} ({})",
                       quote_ident(table + "_" + c.name + "_fkey"),
                       quote_ident(c.references->table), quote_ident(c.references->column));
    if (!c.references->on_delete.empty()) sql += " ON DELETE " + c.references->on_delete;
    if (!on_update.empty()) sql += fmt::format(" ON UPDATE {}", on_update);
  }
  for (const auto& v : c.validators) {
    if (!v.sql_check) continue;
    sql += fmt::format(" CONSTRAINT {} CHECK ({})",
                       quote_ident(fmt::format("{}_{}_{}", table, c.name, v.name)),
                       v.sql_check(quote_ident(c.name)));
  }
  return sql;
}

std::vector<std::string> create_enum_type_statements(const TableInfo& table) {
  std::vector<std::string> statements;
  for (const auto* c : table.columns) {
    if (c->type.kind() != Type::Kind::enumeration) continue;
    std::vector<std::string> labels;
    for (const auto& label : c->type.labels())
      labels.push_back(quote_literal(label));
    statements.push_back(fmt::format("CREATE TYPE {} AS ENUM ({})",
                                     quote_ident(enum_type_name(table.table, *c)),
                                     fmt::join(labels, ", ")));
  }
  return statements;
}

std::string create_table_statement(const TableInfo& table, bool if_not_exists,
                                   const std::vector<std::string>& on_update) {
  std::vector<std::string> columns;
  columns.reserve(table.columns.size());
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    columns.push_back(column_definition(table.table, *table.columns[i],
                                        i < on_update.size() ? on_update[i] : std::string()));
  }
  return fmt::format("CREATE TABLE {}{} (\n  {}\n)", if_not_exists ? "IF NOT EXISTS " : "",
                     quote_ident(table.table), fmt::join(columns, ",\n  "));
}

}  // namespace pgtally::orm
