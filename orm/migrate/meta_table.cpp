#include "orm/migrate/meta_table.hpp"

#include <fmt/format.h>

#include "orm/raw_query.hpp"
#include "orm/validation.hpp"

namespace pgtally::orm::migrate {

Statement MetaTable::create() const {
  return Statement{fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                               "  name text PRIMARY KEY,\n"
                               "  checksum text NOT NULL,\n"
                               "  applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
                               "  duration_ms bigint NOT NULL,\n"
                               "  transactional boolean NOT NULL\n"
                               ")",
                               quote_ident(table_)),
                   {}};
}

bool MetaTable::exists(Executor& executor) const {
  const auto rows = query(executor, "SELECT to_regclass(:table) IS NOT NULL AS present",
                          {{"table", quote_ident(table_)}});
  return rows[0].get<bool>("present", Type::boolean());
}

std::vector<AppliedMigration> MetaTable::read(Executor& executor) const {
  std::vector<AppliedMigration> applied;
  if (!exists(executor)) return applied;
  const auto rows =
      query(executor,
            fmt::format("SELECT name, checksum, to_char(applied_at AT TIME ZONE 'UTC', "
                        "'YYYY-MM-DD HH24:MI:SS\"Z\"') AS applied_at, duration_ms, transactional "
                        "FROM {} ORDER BY name",
                        quote_ident(table_)));
  applied.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    applied.push_back(AppliedMigration{rows[i].get<std::string>("name"),
                                       rows[i].get<std::string>("checksum"),
                                       rows[i].get<std::string>("applied_at"),
                                       rows[i].get<std::int64_t>("duration_ms", Type::bigint()),
                                       rows[i].get<bool>("transactional", Type::boolean())});
  }
  return applied;
}

Statement MetaTable::record(const Migration& migration, std::int64_t duration_ms) const {
  return Statement{fmt::format("INSERT INTO {} (name, checksum, duration_ms, transactional) "
                               "VALUES ($1, $2, $3, $4)",
                               quote_ident(table_)),
                   {migration.name, migration.checksum, std::to_string(duration_ms),
                    migration.definition.transaction ? "true" : "false"}};
}

Statement MetaTable::forget(const std::string& name) const {
  return Statement{fmt::format("DELETE FROM {} WHERE name = $1", quote_ident(table_)), {name}};
}

}  // namespace pgtally::orm::migrate
