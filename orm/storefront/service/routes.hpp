// The storefront's routes: matches a request to a page (orm/storefront/service/pages.hpp), runs
// it inside an orm::RequestScope (request id and route as sqlcommenter tags, unless tags are
// off) and answers JSON with the data and the number of statements it took. Bad input (an
// unknown path, an id that is not a positive integer, a missing parameter) gets a JSON error
// with a code, never an exception.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "orm/database.hpp"
#include "orm/storefront/service/http_message.hpp"
#include "orm/storefront/service/query_counter.hpp"

namespace pgtally::storefront {

struct RouteOptions {
  bool tags = true;  // false: no RequestScope, so pgtally has to infer requests
  std::chrono::milliseconds idle_in_transaction{2500};  // /orders/{id}/slow-checkout's wait
};

class Routes {
 public:
  Routes(orm::Database& db, RouteOptions options);

  // Thread-safe; never throws.
  HttpResponse handle(const HttpRequest& request);

  // The longest X-Request-Id accepted.
  static constexpr std::size_t kMaxRequestId = 128;

 private:
  [[nodiscard]] std::string next_request_id();

  orm::Database* db_;
  RouteOptions options_;
  QueryCounter counter_;
  std::uint64_t nonce_;
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace pgtally::storefront
