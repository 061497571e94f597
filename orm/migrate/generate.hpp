// `pgtally-migrate generate NAME`: writes the skeleton of a new migration, a C++ file to
// compile in (pgtally_add_migrations) or an .up.sql / .down.sql pair, named with the current
// UTC time so that names sort in the order migrations are written.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pgtally::orm::migrate {

enum class Language : std::uint8_t { cpp, sql };

// The C++ function a migration file defines: "migration_" + the name with '-' as '_'.
std::string definition_function(std::string_view name);

// The new migration's name: the UTC time `now` and the slug, moved to one second after the
// newest of `existing` when that is not earlier (two generated in one second still sort).
// Throws UsageError for a slug that is not lower-case letters, digits, '-' and '_'.
std::string next_name(std::string_view slug, std::chrono::system_clock::time_point now,
                      const std::vector<std::string>& existing);

// Writes the skeleton into dir (created if absent) and returns the paths written. The names in
// `existing` (compiled-in migrations) and those of the files in dir are all older than it.
std::vector<std::filesystem::path> generate(const std::filesystem::path& dir, std::string_view slug,
                                            Language language,
                                            std::chrono::system_clock::time_point now,
                                            std::vector<std::string> existing = {});

}  // namespace pgtally::orm::migrate
