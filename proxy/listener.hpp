// Accepts clients on one TCP or Unix-socket address and hands each to an event-loop thread,
// round robin. Counts clients against max_client_conn as they arrive.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "proxy/asio.hpp"

namespace pgtally {

class Proxy;

class Listener {
 public:
  // Binds at once; throws std::runtime_error naming the address on failure.
  Listener(Proxy& proxy, asio::io_context& context, const std::string& host_port);
  Listener(Proxy& proxy, asio::io_context& context, const std::filesystem::path& socket_path);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  Listener(Listener&&) = delete;
  Listener& operator=(Listener&&) = delete;

  void start();
  void close();  // from the listener's thread
  [[nodiscard]] std::optional<asio::ip::tcp::endpoint> tcp_endpoint() const;

 private:
  template <typename Acceptor, typename AddressOf>
  awaitable<void> accept_loop(Acceptor& acceptor, AddressOf address_of);
  awaitable<void> accept_tcp();
  awaitable<void> accept_unix();

  Proxy& proxy_;
  asio::io_context& context_;
  std::optional<asio::ip::tcp::acceptor> tcp_;
  std::optional<asio::local::stream_protocol::acceptor> unix_;
  std::filesystem::path socket_path_;
};

}  // namespace pgtally
