// The storefront's HTTP/1.1 server (Boost.Beast): one thread reads and writes every connection
// (keep-alive, bounded header size and idle time); the handler runs on a pool of worker threads,
// because the routes block on the database. More concurrent requests than workers wait in line;
// more than the ORM pool's connections wait in the pool (and say so in db_pool_wait_ms).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "orm/storefront/service/address.hpp"
#include "orm/storefront/service/http_message.hpp"

namespace pgtally::storefront {

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;  // must not throw

  // Binds at once (port 0 picks a free one); throws std::runtime_error naming the address.
  HttpServer(const Address& listen, unsigned workers, Handler handler);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  HttpServer(HttpServer&&) = delete;
  HttpServer& operator=(HttpServer&&) = delete;

  void start();
  // Closes the listener and open connections, waits for running handlers; idempotent.
  void stop();
  [[nodiscard]] Address bound() const { return bound_; }

  static constexpr std::size_t kMaxConnections = 1024;

 private:
  struct State;
  std::unique_ptr<State> state_;
  Address bound_;
  std::thread io_thread_;
  bool stopped_ = false;
};

}  // namespace pgtally::storefront
