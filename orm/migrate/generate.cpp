#include "orm/migrate/generate.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "orm/errors.hpp"
#include "orm/migrate/migration.hpp"

namespace pgtally::orm::migrate {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::size_t kStampLength = 14;

std::string stamp(system_clock::time_point at) {
  const auto secs = std::chrono::floor<seconds>(at);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<seconds> tod{secs - day};
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count());
}

system_clock::time_point parse_stamp(std::string_view s) {
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i)
      v = v * 10 + (s[i] - '0');
    return v;
  };
  const std::chrono::year_month_day ymd{std::chrono::year(num(0, 4)),
                                        std::chrono::month(static_cast<unsigned>(num(4, 2))),
                                        std::chrono::day(static_cast<unsigned>(num(6, 2)))};
  return std::chrono::sys_days(ymd) + std::chrono::hours(num(8, 2)) +
         std::chrono::minutes(num(10, 2)) + seconds(num(12, 2));
}

void write_new(const fs::path& path, const std::string& text) {
  if (fs::exists(path)) throw UsageError(fmt::format("{} exists already", path.string()));
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw UsageError(fmt::format("cannot write {}", path.string()));
}

std::string cpp_skeleton(const std::string& name) {
  return fmt::format(
      R"(// Migration {name}.
// Never edit it once applied anywhere: write a new migration instead.
#include "orm/migrate/query_interface.hpp"

using pgtally::orm::Type;
using pgtally::orm::migrate::Definition;
using pgtally::orm::migrate::QueryInterface;

Definition {function}() {{
  return {{
      .up =
          [](QueryInterface& q) {{
            q.create_table("widgets", {{
                                          {{.name = "id",
                                           .type = Type::bigint(),
                                           .primary_key = true,
                                           .auto_increment = true}},
                                      }});
          }},
      .down = [](QueryInterface& q) {{ q.drop_table("widgets"); }},
      // .transaction = false,  // for CREATE INDEX CONCURRENTLY
  }};
}}
)",
      fmt::arg("name", name), fmt::arg("function", definition_function(name)));
}

}  // namespace

std::string definition_function(std::string_view name) {
  std::string out = "migration_";
  for (const char c : name)
    out += (c == '-') ? '_' : c;
  return out;
}

std::string next_name(std::string_view slug, system_clock::time_point now,
                      const std::vector<std::string>& existing) {
  auto at = now;
  for (const auto& e : existing) {
    if (!valid_name(e)) continue;
    const auto taken = parse_stamp(e.substr(0, kStampLength));
    if (taken >= std::chrono::floor<seconds>(at)) at = taken + seconds(1);
  }
  std::string name = stamp(at) + "-" + std::string(slug);
  if (!valid_name(name)) {
    throw UsageError(fmt::format(
        "\"{}\" cannot name a migration: use lower-case letters, digits, '-' and '_' (e.g. "
        "add-orders-status)",
        slug));
  }
  return name;
}

std::vector<fs::path> generate(const fs::path& dir, std::string_view slug, Language language,
                               system_clock::time_point now, std::vector<std::string> existing) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw UsageError(fmt::format("cannot create {}: {}", dir.string(), error.message()));
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (file.size() > kStampLength && valid_name(file.substr(0, file.find('.')))) {
      existing.push_back(file.substr(0, file.find('.')));
    }
  }
  const std::string name = next_name(slug, now, existing);
  std::vector<fs::path> written;
  if (language == Language::cpp) {
    written.push_back(dir / (name + ".cpp"));
    write_new(written.back(), cpp_skeleton(name));
  } else {
    written.push_back(dir / (name + ".up.sql"));
    write_new(written.back(),
              fmt::format("-- Migration {}: up. Never edit it once applied anywhere.\n"
                          "-- A line \"-- pgtally:no-transaction\" here runs it outside a "
                          "transaction (CREATE INDEX CONCURRENTLY).\n\n",
                          name));
    written.push_back(dir / (name + ".down.sql"));
    write_new(written.back(),
              fmt::format("-- Migration {}: down. Reverts exactly what the up did.\n\n", name));
  }
  return written;
}

}  // namespace pgtally::orm::migrate
