#include "orm/sync.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "orm/errors.hpp"
#include "orm/raw_query.hpp"
#include "orm/validation.hpp"

namespace pgtally::orm {
namespace {

std::string enum_type_name(const TableInfo& table, const ColumnInfo& column) {
  return fmt::format("enum_{}_{}", table.table, column.name);
}

std::string column_sql(const TableInfo& table, const ColumnInfo& c) {
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
    sql += fmt::format(" CONSTRAINT {} UNIQUE", quote_ident(table.table + "_" + c.name + "_key"));
  }
  if (c.references) {
    sql += fmt::format(" CONSTRAINT {} REFERENCES {} ({})",
                       quote_ident(table.table + "_" + c.name + "_fkey"),
                       quote_ident(c.references->table), quote_ident(c.references->column));
    if (!c.references->on_delete.empty()) sql += " ON DELETE " + c.references->on_delete;
  }
  for (const auto& v : c.validators) {
    if (!v.sql_check) continue;
    sql += fmt::format(" CONSTRAINT {} CHECK ({})",
                       quote_ident(fmt::format("{}_{}_{}", table.table, c.name, v.name)),
                       v.sql_check(quote_ident(c.name)));
  }
  return sql;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  quoted.reserve(names.size());
  for (const auto& n : names)
    quoted.push_back(quote_ident(n));
  return fmt::format("{}", fmt::join(quoted, ", "));
}

void create_enum_types(Database& db, const TableInfo& table) {
  for (const auto* c : table.columns) {
    if (c->type.kind() != Type::Kind::enumeration) continue;
    const std::string name = enum_type_name(table, *c);
    const auto exists = query(db, "SELECT 1 FROM pg_type WHERE typname = :name", {{"name", name}});
    if (!exists.empty()) continue;
    std::vector<std::string> labels;
    for (const auto& label : c->type.labels())
      labels.push_back(quote_literal(label));
    db.run(Statement{
        fmt::format("CREATE TYPE {} AS ENUM ({})", quote_ident(name), fmt::join(labels, ", ")),
        {}});
  }
}

void refuse_in_production(const Database& db, SyncMode mode) {
  if (!db.production()) return;
  throw ProductionRefusal(fmt::format(
      "sync({}) drops tables or columns and is refused because PGTALLY_ENV=production; use a "
      "reviewed migration (pgtally-migrate) instead",
      mode == SyncMode::force ? "force" : "alter"));
}

}  // namespace

std::vector<std::string> create_statements(const TableInfo& table) {
  std::vector<std::string> parts;
  parts.reserve(table.columns.size());
  for (const auto* c : table.columns)
    parts.push_back(column_sql(table, *c));
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
  std::vector<std::string> out{fmt::format("CREATE TABLE IF NOT EXISTS {} (\n  {}\n)",
                                           quote_ident(table.table), fmt::join(parts, ",\n  "))};
  for (const auto& index : table.indexes) {
    out.push_back(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", quote_ident(index.name),
                              quote_ident(table.table), quoted_list(index.columns)));
  }
  return out;
}

std::vector<TableInfo> with_foreign_keys(std::vector<TableInfo> tables,
                                         const std::vector<ForeignKey>& foreign_keys) {
  for (const auto& fk : foreign_keys) {
    const auto table = std::find_if(tables.begin(), tables.end(),
                                    [&](const TableInfo& t) { return t.table == fk.table; });
    if (table == tables.end()) {
      throw UsageError(fmt::format(
          "foreign key {} belongs to table {}, which is not in the sync list: add its model",
          fk.name, fk.table));
    }
    table->foreign_keys.push_back(fk);
  }
  return tables;
}

void sync_tables(Database& db, const std::vector<TableInfo>& tables, SyncMode mode) {
  if (mode != SyncMode::create) refuse_in_production(db, mode);
  if (mode == SyncMode::force) {
    for (auto it = tables.rbegin(); it != tables.rend(); ++it) {
      db.run(Statement{fmt::format("DROP TABLE IF EXISTS {} CASCADE", quote_ident(it->table)), {}});
      for (const auto* c : it->columns) {
        if (c->type.kind() != Type::Kind::enumeration) continue;
        db.run(Statement{
            fmt::format("DROP TYPE IF EXISTS {}", quote_ident(enum_type_name(*it, *c))), {}});
      }
    }
  }
  for (const auto& table : tables) {
    create_enum_types(db, table);
    for (const auto& sql : create_statements(table))
      db.run(Statement{sql, {}});
    if (mode != SyncMode::alter) continue;
    const auto existing = query(db,
                                "SELECT column_name FROM information_schema.columns "
                                "WHERE table_schema = current_schema() AND table_name = :table",
                                {{"table", table.table}});
    std::vector<std::string> present;
    for (std::size_t i = 0; i < existing.size(); ++i) {
      present.emplace_back(*existing[i].text("column_name"));
    }
    for (const auto* c : table.columns) {
      if (std::find(present.begin(), present.end(), c->name) != present.end()) continue;
      db.run(Statement{fmt::format("ALTER TABLE {} ADD COLUMN {}", quote_ident(table.table),
                                   column_sql(table, *c)),
                       {}});
    }
    for (const auto& name : present) {
      const bool declared = std::any_of(table.columns.begin(), table.columns.end(),
                                        [&](const ColumnInfo* c) { return c->name == name; });
      if (declared) continue;
      db.run(Statement{
          fmt::format("ALTER TABLE {} DROP COLUMN {}", quote_ident(table.table), quote_ident(name)),
          {}});
    }
  }
}

}  // namespace pgtally::orm
