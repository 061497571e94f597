// Request scope: an RAII object that tags every query issued inside it, on this thread, with a
// sqlcommenter comment (request_id, route, source file:line) so that the proxy attributes them.
// Application code opens one per request; the Database reads it when it sends a statement.
//
// Threads: the scope lives in a thread_local (the ORM's one sanctioned thread-local). Work
// handed to another thread is NOT tagged unless that thread adopts the context:
//   auto ctx = RequestScope::capture();                // on the request's thread
//   pool.post([ctx] { RequestScope adopt(ctx); ... }); // on the worker
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgtally::orm {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct RequestContext {
  std::string request_id;
  std::string route;
  std::string source;  // "file.cpp:42", where the scope was opened
  Tags extra;          // any other sqlcommenter keys (controller, action, traceparent)

  // All tags with non-empty values, keys sorted.
  [[nodiscard]] Tags tags() const;
};

class RequestScope {
 public:
  // source defaults to the file:line that opens the scope.
  explicit RequestScope(std::string request_id, std::string route = {}, Tags extra = {},
                        const char* file = __builtin_FILE(), int line = __builtin_LINE());
  // Re-installs a context captured on another thread.
  explicit RequestScope(RequestContext adopted);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;
  RequestScope(RequestScope&&) = delete;
  RequestScope& operator=(RequestScope&&) = delete;

  // The innermost scope open on this thread, or null.
  static const RequestContext* current();
  // A copy to hand to another thread (empty outside any scope).
  static std::optional<RequestContext> capture();

  [[nodiscard]] const RequestContext& context() const { return context_; }

 private:
  RequestContext context_;
  const RequestContext* previous_;
};

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view text);
// The sqlcommenter comment for tags: keys sorted, key='url-encoded value', comma-separated,
// e.g. /*request_id='r1',route='%2Fusers'*/. Empty for no tags.
std::string sqlcommenter_comment(Tags tags);

}  // namespace pgtally::orm
