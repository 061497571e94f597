// A migration: a sortable name (UTC timestamp and slug, "20261124101500-create-users"), an up
// and a down written against the query interface, and the checksum of its source. C++
// migrations are compiled into an app's migrate executable (pgtally_add_migrations in CMake
// registers them with their build-time SHA-256); .sql pairs are read from a directory at run
// time. The Registry holds them in name order for the runner and the CLI.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace pgtally::orm::migrate {

class QueryInterface;

// What a C++ migration file defines (the function pgtally_add_migrations registers):
//   pgtally::orm::migrate::Definition migration_20261124101500_create_users() {
//     return {.up = [](QueryInterface& q) { ... }, .down = [](QueryInterface& q) { ... }};
//   }
struct Definition {
  std::function<void(QueryInterface&)> up{};
  std::function<void(QueryInterface&)> down{};
  // false for statements PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY):
  // then a failure leaves the statements before it applied, and status and the log say so.
  bool transaction = true;
};

struct Migration {
  std::string name;
  std::string checksum;  // SHA-256 of the source, lower-case hex
  Definition definition;
  std::string source;  // where it came from, for messages: "compiled in" or the .sql path
};

// "20261124101500-create-users": 14 digits (YYYYMMDDHHMMSS, UTC), '-', then a slug of lower-case
// letters, digits, '-' and '_'. Names sort in the order migrations were written.
[[nodiscard]] bool valid_name(std::string_view name);

class Registry {
 public:
  // Throws UsageError for an invalid or duplicate name, or a definition without up or down.
  void add(Migration migration);
  void add(std::string name, std::string checksum, Definition (*define)());
  // Every migration, sorted by name.
  [[nodiscard]] const std::vector<Migration>& migrations() const { return migrations_; }
  [[nodiscard]] const Migration* find(std::string_view name) const;

 private:
  std::vector<Migration> migrations_;
};

}  // namespace pgtally::orm::migrate
