// storefront-migrate: the storefront sample app's migrate executable, its schema compiled in.
#include "orm/migrate/cli.hpp"
#include "orm/storefront/schema_migrations.hpp"

int main(int argc, char** argv) {
  return pgtally::orm::migrate::run_cli(argc, argv, storefront_migrations(),
                                        {.program = "storefront-migrate", .default_dir = {}});
}
