// One end of a relayed connection: a TCP or Unix socket, or TLS over TCP. Plain sockets are
// non-blocking, so the session can wait for readability before it borrows a buffer and read or
// write without suspending; a TLS stream reads into the buffer directly (OpenSSL holds its own).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <variant>

#include "proxy/asio.hpp"

namespace pgtally {

class Stream {
 public:
  using Tcp = asio::ip::tcp::socket;
  using Unix = asio::local::stream_protocol::socket;
  using Tls = asio::ssl::stream<Tcp>;

  explicit Stream(Tcp socket);
  explicit Stream(Unix socket);

  [[nodiscard]] bool is_tls() const { return std::holds_alternative<std::unique_ptr<Tls>>(s_); }
  [[nodiscard]] bool is_tcp() const { return !std::holds_alternative<Unix>(s_); }

  // The plain socket, for relays that await it directly (no wrapper coroutine per wait).
  Tcp* plain_tcp() { return std::get_if<Tcp>(&s_); }
  Unix* plain_unix() { return std::get_if<Unix>(&s_); }
  // Plain sockets only, without suspending: what is there now (0 when nothing), and how much
  // of `bytes` the socket took now (0 when full). TLS streams return 0.
  std::size_t read_now(std::span<std::byte> buffer, boost::system::error_code& ec);
  std::size_t write_now(std::span<const std::byte> bytes, boost::system::error_code& ec);

  // Reads what arrives next (TLS: suspends until then; plain: what is there now, maybe 0).
  awaitable<std::size_t> read_some(std::span<std::byte> buffer, boost::system::error_code& ec);
  awaitable<void> read_exact(std::span<std::byte> buffer, boost::system::error_code& ec);
  awaitable<void> write_all(std::span<const std::byte> bytes, boost::system::error_code& ec);

  // Turns a plain TCP stream into TLS: as the server (towards a client) or as the client.
  awaitable<void> tls_accept(asio::ssl::context& context, boost::system::error_code& ec);
  awaitable<void> tls_connect(asio::ssl::context& context, const std::string& server_name,
                              boost::system::error_code& ec);

  void close() noexcept;
  [[nodiscard]] bool is_open() const;

 private:
  Tcp& tcp();
  // Awaits `operation(stream)` on the TLS stream or the plain socket, whichever this is.
  template <typename Operation>
  awaitable<void> on_stream(Operation operation);
  std::variant<Tcp, Unix, std::unique_ptr<Tls>> s_;
};

}  // namespace pgtally
