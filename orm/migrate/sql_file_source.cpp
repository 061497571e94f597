#include "orm/migrate/sql_file_source.hpp"

#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "analyzer/sql_split.hpp"
#include "orm/errors.hpp"
#include "orm/migrate/checksum.hpp"
#include "orm/migrate/query_interface.hpp"

namespace pgtally::orm::migrate {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The directive counts only among the comments and blank lines a file starts with.
bool wants_no_transaction(std::string_view text) {
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      line.remove_prefix(1);
    if (line == kNoTransactionDirective) return true;
    if (!line.empty() && !line.starts_with("--")) return false;
    at = end + 1;
  }
  return false;
}

// Leading blank lines and line comments go: an error then quotes the statement itself.
std::string_view without_leading_comments(std::string_view statement) {
  for (;;) {
    while (!statement.empty() && std::isspace(static_cast<unsigned char>(statement.front())) != 0)
      statement.remove_prefix(1);
    if (!statement.starts_with("--")) return statement;
    const auto end = statement.find('\n');
    statement.remove_prefix(end == std::string_view::npos ? statement.size() : end);
  }
}

std::function<void(QueryInterface&)> run_statements(std::shared_ptr<const std::string> text) {
  return [text = std::move(text)](QueryInterface& q) {
    for (const auto statement : split_statements(*text))
      q.execute(without_leading_comments(statement));
  };
}

struct Pair {
  fs::path up;
  fs::path down;
};

}  // namespace

Migration sql_migration(std::string name, std::string up, std::string down, std::string source) {
  const bool no_transaction = wants_no_transaction(up) || wants_no_transaction(down);
  std::string hashed = "up\n" + up + "\ndown\n" + down;
  Migration m;
  m.name = std::move(name);
  m.checksum = sha256_hex(hashed);
  m.definition.up = run_statements(std::make_shared<const std::string>(std::move(up)));
  m.definition.down = run_statements(std::make_shared<const std::string>(std::move(down)));
  m.definition.transaction = !no_transaction;
  m.source = std::move(source);
  return m;
}

std::vector<Migration> read_sql_migrations(const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    throw UsageError(fmt::format("the migrations directory {} does not exist", dir.string()));
  }
  std::map<std::string, Pair> pairs;  // by name: sorted
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".sql")) continue;
    const bool up = file.ends_with(".up.sql");
    const bool down = file.ends_with(".down.sql");
    const std::string name = up     ? file.substr(0, file.size() - 7)
                             : down ? file.substr(0, file.size() - 9)
                                    : file;
    if ((!up && !down) || !valid_name(name)) {
      throw UsageError(fmt::format(
          "{}: a SQL migration is a pair NAME.up.sql and NAME.down.sql, NAME a UTC timestamp and "
          "a lower-case slug (20261124101500-create-users); move other .sql files out of {}",
          file, dir.string()));
    }
    (up ? pairs[name].up : pairs[name].down) = entry.path();
  }
  std::vector<Migration> migrations;
  for (const auto& [name, pair] : pairs) {
    if (pair.up.empty() || pair.down.empty()) {
      throw UsageError(
          fmt::format("migration {} has {} but no {}.{}.sql in {}: every migration "
                      "has an up and a down",
                      name, (pair.up.empty() ? pair.down : pair.up).filename().string(), name,
                      pair.up.empty() ? "up" : "down", dir.string()));
    }
    migrations.push_back(
        sql_migration(name, read_text(pair.up), read_text(pair.down), pair.up.string()));
  }
  return migrations;
}

}  // namespace pgtally::orm::migrate
