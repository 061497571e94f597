#include "orm/ddl.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pgtally::orm {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  quoted.reserve(names.size());
  for (const auto& n : names)
    quoted.push_back(quote_ident(n));
  return fmt::format("{}", fmt::join(quoted, ", "));
}

}  // namespace

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
  std::vector<std::string> parts;
  parts.reserve(table.columns.size());
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    parts.push_back(column_definition(table.table, *table.columns[i],
                                      i < on_update.size() ? on_update[i] : std::string()));
  }
  for (const auto& u : table.uniques) {
    parts.push_back(
        fmt::format("CONSTRAINT {} UNIQUE ({})", quote_ident(u.name), quoted_list(u.columns)));
  }
  for (const auto& fk : table.foreign_keys) {
    const bool inline_reference = std::any_of(
        table.columns.begin(), table.columns.end(),
        [&](const ColumnInfo* c) { return c->name == fk.column && c->references.has_value(); });
    if (inline_reference) continue;  // declared on the column already
    std::string sql =
        fmt::format("CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})", quote_ident(fk.name),
                    quote_ident(fk.column), quote_ident(fk.references_table),
                    quote_ident(fk.references_column));
    if (!fk.on_delete.empty()) sql += " ON DELETE " + fk.on_delete;
    parts.push_back(std::move(sql));
  }
  return fmt::format("CREATE TABLE {}{} (\n  {}\n)", if_not_exists ? "IF NOT EXISTS " : "",
                     quote_ident(table.table), fmt::join(parts, ",\n  "));
}

std::vector<std::string> create_index_statements(const TableInfo& table) {
  std::vector<std::string> out;
  for (const auto& index : table.indexes) {
    out.push_back(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote_ident(index.name),
                              quote_ident(table.table), quoted_list(index.columns)));
  }
  return out;
}

}  // namespace pgtally::orm
