// What the storefront's HTTP server hands its routes and gets back: plain values, no Beast, so
// the routes can be called (and read) without the network code.
#pragma once

#include <optional>
#include <string>

namespace pgtally::storefront {

struct HttpRequest {
  std::string method;                     // "GET"
  std::string target;                     // path and query string, as sent
  std::optional<std::string> request_id;  // the X-Request-Id header, when present
};

struct HttpResponse {
  unsigned status = 200;
  std::string body;        // JSON
  std::string request_id;  // echoed in X-Request-Id
};

}  // namespace pgtally::storefront
