// pgtally-migrate: the migrate CLI over the .sql migrations of --dir (default ./migrations).
// Apps with C++ migrations build their own executable with pgtally_add_migrations.
#include "orm/migrate/cli.hpp"

int main(int argc, char** argv) {
  return pgtally::orm::migrate::run_cli(
      argc, argv, pgtally::orm::migrate::Registry{},
      {.program = "pgtally-migrate", .default_dir = "migrations"});
}
