// The storefront sample service: the reference ORM over the storefront schema, its routes and
// its HTTP server in one object, for pgtally-storefront's main() and for tests that run it in
// process. With `migrate`, the storefront migrations are applied at start and the sample rows
// seeded into empty tables.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "orm/database.hpp"
#include "orm/storefront/service/address.hpp"
#include "orm/storefront/service/http_server.hpp"
#include "orm/storefront/service/routes.hpp"

namespace pgtally::storefront {

struct ServiceOptions {
  Address listen{"127.0.0.1", 8080};
  std::optional<std::string> database{};  // a URL or conninfo; empty: orm::Config::from_env()
  std::uint32_t pool_max = 5;
  std::chrono::milliseconds acquire_timeout{5000};
  unsigned threads = 16;  // request handlers at once
  bool tags = true;       // sqlcommenter tags through orm::RequestScope
  bool migrate = false;   // apply the storefront migrations, seed empty tables
  std::chrono::milliseconds idle_in_transaction{2500};
};

class Service {
 public:
  // Connects, migrates and seeds when asked, and binds the listener; throws orm::Error (the
  // database) or std::runtime_error (the address).
  explicit Service(const ServiceOptions& options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  Service(Service&&) = delete;
  Service& operator=(Service&&) = delete;

  void start();
  void stop();  // idempotent
  [[nodiscard]] Address bound() const { return server_->bound(); }
  orm::Database& database() { return *db_; }

 private:
  std::unique_ptr<orm::Database> db_;
  std::unique_ptr<Routes> routes_;
  std::unique_ptr<HttpServer> server_;
};

// Applies the storefront migrations that are pending, then seeds when there is no category.
// Returns the names of the migrations applied.
std::vector<std::string> migrate_and_seed(orm::Database& db);

}  // namespace pgtally::storefront
