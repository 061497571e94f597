// Migrations written in plain SQL: NAME.up.sql and NAME.down.sql pairs in a directory, read
// and hashed at run time. Statements are split at top-level semicolons and sent one by one, so
// an error names its statement. A line "-- pgtally:no-transaction" among the leading comments
// of either file runs the migration outside a transaction (CREATE INDEX CONCURRENTLY).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "orm/migrate/migration.hpp"

namespace pgtally::orm::migrate {

inline constexpr std::string_view kNoTransactionDirective = "-- pgtally:no-transaction";

// Every pair in dir, by name. Files other than *.sql are ignored (C++ migrations may sit
// alongside). Throws UsageError for a missing directory, an unreadable file, a .sql file that
// is not NAME.up.sql / NAME.down.sql with a valid name, or an up without its down.
std::vector<Migration> read_sql_migrations(const std::filesystem::path& dir);

// A migration from the two files' text; the checksum covers both.
Migration sql_migration(std::string name, std::string up, std::string down, std::string source);

}  // namespace pgtally::orm::migrate
