#include "orm/sync.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "orm/ddl.hpp"
#include "orm/errors.hpp"
#include "orm/raw_query.hpp"

namespace pgtally::orm {
namespace {

// sync may run again on an existing database: an enum type already there is kept.
void create_enum_types(Database& db, const TableInfo& table) {
  const auto statements = create_enum_type_statements(table);
  std::size_t next = 0;
  for (const auto* c : table.columns) {
    if (c->type.kind() != Type::Kind::enumeration) continue;
    const std::string& sql = statements[next++];
    const auto exists = query(db, "SELECT 1 FROM pg_type WHERE typname = :name",
                              {{"name", enum_type_name(table.table, *c)}});
    if (exists.empty()) db.run(Statement{sql, {}});
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
  std::vector<std::string> out{create_table_statement(table, true)};
  for (auto& sql : create_index_statements(table))
    out.push_back(std::move(sql));
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
            fmt::format("DROP TYPE IF EXISTS {}", quote_ident(enum_type_name(it->table, *c))), {}});
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
                                   column_definition(table.table, *c)),
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
