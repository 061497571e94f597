#include "proxy/upstream.hpp"

#include <unistd.h>

#include <array>

#include <fmt/format.h>

#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/messages.hpp"

namespace pgtally {
namespace {
namespace sys = boost::system;

// Closes `socket` if the connect has not finished by the deadline.
template <typename Socket>
awaitable<void> connect_within(Socket& socket, const typename Socket::endpoint_type& endpoint,
                               std::chrono::milliseconds timeout, sys::error_code& ec) {
  asio::steady_timer timer(socket.get_executor(), timeout);
  bool timed_out = false;
  timer.async_wait([&socket, &timed_out](sys::error_code wait_ec) {
    if (!wait_ec) {
      timed_out = true;
      sys::error_code ignored;
      socket.close(ignored);
    }
  });
  co_await socket.async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
  timer.cancel();
  if (timed_out) ec = asio::error::timed_out;
}

// A connect leaves the socket registered with Asio's reactor for writability as well, for
// good: every later wait for readability would re-arm both and wake the thread at once for a
// writability nobody awaits. The same descriptor registered afresh watches reads only.
template <typename Socket>
Socket watching_reads_only(Socket socket) {
  sys::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return socket;
  const auto descriptor = socket.release(ec);
  if (ec) return socket;
  Socket fresh(socket.get_executor());
  fresh.assign(protocol, descriptor, ec);
  if (ec) ::close(descriptor);  // fresh is closed: the caller's first use reports it
  return fresh;
}

}  // namespace

awaitable<UpstreamConnection> connect_upstream(const Config& config,
                                               asio::ssl::context* tls_context) {
  auto executor = co_await asio::this_coro::executor;
  const auto target = parse_host_port(config.upstream);
  if (!target) co_return UpstreamConnection{std::nullopt, "invalid upstream setting"};
  sys::error_code ec;

  if (target->host.starts_with('/')) {
    const std::string path = fmt::format("{}/.s.PGSQL.{}", target->host, target->port);
    Stream::Unix socket(executor);
    co_await connect_within(socket, Stream::Unix::endpoint_type(path), config.connect_timeout, ec);
    if (ec) {
      co_return UpstreamConnection{
          std::nullopt, fmt::format("cannot connect to the PostgreSQL server on socket {}: {}",
                                    path, ec.message())};
    }
    co_return UpstreamConnection{Stream(watching_reads_only(std::move(socket))), {}};
  }

  asio::ip::tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(target->host, std::to_string(target->port),
                                                         asio::redirect_error(use_awaitable, ec));
  if (ec || endpoints.empty()) {
    co_return UpstreamConnection{
        std::nullopt, fmt::format("cannot resolve the PostgreSQL server host {}: {}", target->host,
                                  ec.message())};
  }
  Stream::Tcp socket(executor);
  for (const auto& entry : endpoints) {
    sys::error_code ignored;
    socket.close(ignored);
    co_await connect_within(socket, entry.endpoint(), config.connect_timeout, ec);
    if (!ec) break;
  }
  if (ec) {
    co_return UpstreamConnection{std::nullopt,
                                 fmt::format("cannot connect to the PostgreSQL server at {}: {}",
                                             config.upstream, ec.message())};
  }
  Stream stream(watching_reads_only(std::move(socket)));
  if (tls_context == nullptr) co_return UpstreamConnection{std::move(stream), {}};

  const std::string request = wire::ssl_request();
  co_await stream.write_all(wire::as_bytes(request), ec);
  std::array<std::byte, 1> answer{};
  if (!ec) co_await stream.read_exact(answer, ec);
  if (ec) {
    co_return UpstreamConnection{
        std::nullopt, fmt::format("PostgreSQL server at {} closed during TLS negotiation: {}",
                                  config.upstream, ec.message())};
  }
  if (static_cast<char>(answer[0]) != 'S') {
    if (config.server_tls == ServerTls::require) {
      co_return UpstreamConnection{
          std::nullopt,
          fmt::format("PostgreSQL server at {} does not accept TLS, and server_tls = require",
                      config.upstream)};
    }
    co_return UpstreamConnection{std::move(stream), {}};  // prefer: go on in plaintext
  }
  const std::string server_name = config.server_tls_ca_file.empty() ? "" : target->host;
  co_await stream.tls_connect(*tls_context, server_name, ec);
  if (ec) {
    co_return UpstreamConnection{
        std::nullopt, fmt::format("TLS handshake with the PostgreSQL server at {} failed: {}",
                                  config.upstream, ec.message())};
  }
  co_return UpstreamConnection{std::move(stream), {}};
}

}  // namespace pgtally
