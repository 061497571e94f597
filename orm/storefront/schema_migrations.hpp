// The storefront schema's migrations (orm/storefront/migrations/), compiled in by
// pgtally_add_migrations: storefront-migrate runs them, and tests apply them to a database.
#pragma once

#include "orm/migrate/migration.hpp"

pgtally::orm::migrate::Registry storefront_migrations();
