// What pgtally's HTTP listener answers: /metrics, /healthz, /readyz, the JSON API under /api
// and the page at /. Pure request-to-response routing with no sockets, so tests call it
// directly; http_server.hpp owns the connections.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/analyzer.hpp"
#include "analyzer/finding.hpp"

namespace pgtally {

struct HttpRequest {
  std::string_view method;
  std::string_view target;         // path and query, as sent
  std::string_view authorization;  // the Authorization header, or empty
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpApiSources {
  std::function<std::string()> metrics;    // the exposition text
  std::function<bool()> ready;             // listeners bound and analysis (if on) running
  analyzer::Analyzer* analyzer = nullptr;  // null: analysis off, /api answers 503
};

class HttpApi {
 public:
  // `token` empty: / and /api are open (a loopback listener). Otherwise they need
  // "Authorization: Bearer <token>" (or ?token=<token>, so a browser can open the page).
  HttpApi(HttpApiSources sources, std::string token);

  [[nodiscard]] HttpResponse handle(const HttpRequest& request) const;

 private:
  [[nodiscard]] bool authorized(const HttpRequest& request, std::string_view query) const;
  [[nodiscard]] HttpResponse api(std::string_view path, std::string_view query) const;

  HttpApiSources sources_;
  std::string token_;
  analyzer::ClockAnchor clock_;
};

// "%2F" → "/" (and "+" → " " in a query string); a malformed escape is kept as written.
[[nodiscard]] std::string percent_decode(std::string_view text, bool plus_is_space = false);
// The value of `key` in "a=1&b=2" (decoded), or empty.
[[nodiscard]] std::string query_parameter(std::string_view query, std::string_view key);

}  // namespace pgtally
