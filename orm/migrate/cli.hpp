// The migrate command line (sequelize-cli's db:migrate family) as a library function, so that
// every app builds its own migrate executable around its compiled-in migrations:
//   pgtally::orm::migrate::Registry embedded_migrations();  // from pgtally_add_migrations
//   int main(int argc, char** argv) {
//     return pgtally::orm::migrate::run_cli(argc, argv, embedded_migrations());
//   }
// `pgtally-migrate` itself is this function with no compiled-in migrations: it runs the .sql
// pairs of --dir (default ./migrations).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "orm/migrate/migration.hpp"

namespace pgtally::orm::migrate {

// Documented in --help and orm/README.md.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int migration_failed = 1;       // rolled back (or partly applied: the log says)
inline constexpr int usage = 2;                  // bad arguments, unknown name, password in --url
inline constexpr int applied_mismatch = 3;       // an applied migration changed or is missing
inline constexpr int lock_timeout = 4;           // another run held the lock too long
inline constexpr int refused_in_production = 5;  // undo --all with PGTALLY_ENV=production
inline constexpr int database = 6;               // cannot connect, or an error outside a migration
}  // namespace exit_code

struct CliOptions {
  std::string program = "pgtally-migrate";
  // Where .sql migrations are read from and generate writes when --dir is not given; empty:
  // only compiled-in migrations unless --dir names a directory.
  std::string default_dir{};
};

int run_cli(int argc, char** argv, const Registry& registry, const CliOptions& options = {});
// The same with explicit arguments (program name first) and streams.
int run_cli(const std::vector<std::string>& args, const Registry& registry,
            const CliOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pgtally::orm::migrate
