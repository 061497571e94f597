// The storefront service in process against the binary's PostgreSQL (migrated and seeded at
// start), and helpers to GET its routes.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orm/storefront/service/http_client.hpp"
#include "orm/storefront/service/service.hpp"
#include "tests/support/postgres_environment.hpp"

namespace pgtally::testing {

inline storefront::ServiceOptions service_options(const std::string& conninfo) {
  storefront::ServiceOptions options;
  options.listen = {"127.0.0.1", 0};
  options.database = conninfo;
  options.pool_max = 5;
  options.threads = 16;
  options.migrate = true;
  options.idle_in_transaction = std::chrono::milliseconds(100);
  return options;
}

// A started service; stopped by its destructor.
inline std::unique_ptr<storefront::Service> start_service(
    const storefront::ServiceOptions& options) {
  auto service = std::make_unique<storefront::Service>(options);
  service->start();
  return service;
}

struct Page {
  unsigned status = 0;
  nlohmann::json body;
  std::string request_id;
};

// GETs `target`; fails the test when there is no answer or the body is not JSON.
inline Page get_page(const storefront::Address& address, const std::string& target,
                     const std::optional<std::string>& request_id = {},
                     const std::string& method = "GET") {
  storefront::HttpClient client(address);
  const auto reply = client.get(target, request_id, method);
  EXPECT_TRUE(reply.reached) << target << ": " << reply.error;
  Page page{reply.status, nlohmann::json::parse(reply.body, nullptr, false), reply.request_id};
  EXPECT_FALSE(page.body.is_discarded() && method != "HEAD") << target << ": " << reply.body;
  return page;
}

}  // namespace pgtally::testing
