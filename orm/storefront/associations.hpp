// The storefront's association registry (every pair declared in associations.cpp) and the
// sync of its tables for development and tests (referenced tables first, with the foreign
// keys the registry declares). Production schemas come from storefront/migrations/.
#pragma once

#include "orm/associations.hpp"
#include "orm/database.hpp"
#include "orm/sync.hpp"

namespace pgtally::storefront {

// Built and validated once; set it as Config::associations.
const orm::Associations& associations();

// Creates (or with SyncMode::force, recreates) every storefront table.
void sync(orm::Database& db, orm::SyncMode mode = orm::SyncMode::create);

}  // namespace pgtally::storefront
