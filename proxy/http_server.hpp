// pgtally's HTTP listener (Boost.Beast) on its own thread and io_context, apart from the relay:
// keep-alive connections, bounded request sizes and idle time, at most a fixed number of
// connections at once. What each path answers is HttpApi's job.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "proxy/asio.hpp"
#include "proxy/http_api.hpp"

namespace pgtally {

class HttpServer {
 public:
  // Binds `host_port` (an IP address and port; port 0 picks one) at once; throws
  // std::runtime_error naming the address when it cannot.
  HttpServer(const std::string& host_port, std::shared_ptr<const HttpApi> api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  HttpServer(HttpServer&&) = delete;
  HttpServer& operator=(HttpServer&&) = delete;

  void start();
  void stop();  // idempotent; closes open connections
  [[nodiscard]] asio::ip::tcp::endpoint endpoint() const { return endpoint_; }

  static constexpr std::size_t kMaxConnections = 64;

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::io_context context_{1};
  asio::ip::tcp::acceptor acceptor_{context_};
  asio::ip::tcp::endpoint endpoint_;
  std::shared_ptr<const HttpApi> api_;
  std::atomic<std::size_t> connections_{0};
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace pgtally
