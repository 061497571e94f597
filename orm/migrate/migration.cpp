#include "orm/migrate/migration.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "orm/errors.hpp"

namespace pgtally::orm::migrate {
namespace {

bool slug_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

bool valid_name(std::string_view name) {
  constexpr std::size_t kStampLength = 14;
  if (name.size() < kStampLength + 2 || name[kStampLength] != '-') return false;
  for (std::size_t i = 0; i < kStampLength; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  const std::string_view slug = name.substr(kStampLength + 1);
  if (slug.front() == '-' || slug.back() == '-') return false;
  return std::all_of(slug.begin(), slug.end(), slug_char);
}

void Registry::add(Migration migration) {
  if (!valid_name(migration.name)) {
    throw UsageError(fmt::format(
        "\"{}\" is not a migration name: use a UTC timestamp and a lower-case slug, e.g. "
        "20261124101500-create-users (pgtally-migrate generate writes one)",
        migration.name));
  }
  if (!migration.definition.up || !migration.definition.down) {
    throw UsageError(fmt::format("migration {} defines no {}: every migration has an up and a down",
                                 migration.name, migration.definition.up ? "down" : "up"));
  }
  const auto at =
      std::lower_bound(migrations_.begin(), migrations_.end(), migration.name,
                       [](const Migration& m, const std::string& name) { return m.name < name; });
  if (at != migrations_.end() && at->name == migration.name) {
    throw UsageError(fmt::format("two migrations are named {} ({} and {}): rename one",
                                 migration.name, at->source, migration.source));
  }
  migrations_.insert(at, std::move(migration));
}

void Registry::add(std::string name, std::string checksum, Definition (*define)()) {
  add(Migration{std::move(name), std::move(checksum), define(), "compiled in"});
}

const Migration* Registry::find(std::string_view name) const {
  for (const auto& m : migrations_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace pgtally::orm::migrate
