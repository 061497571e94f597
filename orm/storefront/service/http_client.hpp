// A blocking HTTP/1.1 client on one keep-alive connection (Boost.Beast), for the load driver's
// workers and the tests: GET with an optional X-Request-Id, reconnecting after a failure.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "orm/storefront/service/address.hpp"

namespace pgtally::storefront {

struct HttpReply {
  bool reached = false;  // false: no complete answer (error says why)
  unsigned status = 0;
  std::string body;
  std::string request_id;  // the X-Request-Id header of the answer
  std::string error;
};

class HttpClient {
 public:
  explicit HttpClient(Address target, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  HttpReply get(const std::string& target, const std::optional<std::string>& request_id = {},
                const std::string& method = "GET");

 private:
  struct Connection;
  Address target_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace pgtally::storefront
