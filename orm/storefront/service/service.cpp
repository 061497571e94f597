#include "orm/storefront/service/service.hpp"

#include <utility>

#include "orm/migrate/runner.hpp"
#include "orm/repository.hpp"
#include "orm/storefront/associations.hpp"
#include "orm/storefront/models.hpp"
#include "orm/storefront/schema_migrations.hpp"
#include "orm/storefront/seed.hpp"

namespace pgtally::storefront {
namespace {

orm::Config database_config(const ServiceOptions& options) {
  orm::Config config =
      options.database ? orm::Config::from_url(*options.database) : orm::Config::from_env();
  config.application_name = "pgtally-storefront";
  config.pool.max = options.pool_max;
  config.pool.acquire_timeout = options.acquire_timeout;
  config.associations = &associations();
  return config;
}

}  // namespace

std::vector<std::string> migrate_and_seed(orm::Database& db) {
  auto applied = orm::migrate::Runner(db, storefront_migrations()).migrate();
  db.transaction([](orm::Transaction& tx) {
    if (orm::Repository<Category>(tx).count() == 0) seed(tx);
  });
  return applied;
}

Service::Service(const ServiceOptions& options)
    : db_(std::make_unique<orm::Database>(database_config(options))) {
  if (options.migrate) migrate_and_seed(*db_);
  routes_ = std::make_unique<Routes>(
      *db_, RouteOptions{.tags = options.tags, .idle_in_transaction = options.idle_in_transaction});
  server_ = std::make_unique<HttpServer>(
      options.listen, options.threads, [this](const HttpRequest& r) { return routes_->handle(r); });
}

Service::~Service() {
  stop();
}

void Service::start() {
  server_->start();
}

void Service::stop() {
  if (server_) server_->stop();
}

}  // namespace pgtally::storefront
