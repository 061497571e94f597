#include "proxy/stream.hpp"

namespace pgtally {
namespace {
namespace sys = boost::system;
}  // namespace

Stream::Stream(Tcp socket) : s_(std::move(socket)) {
  sys::error_code ignored;
  auto& tcp_socket = std::get<Tcp>(s_);
  tcp_socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  tcp_socket.non_blocking(true, ignored);
}

Stream::Stream(Unix socket) : s_(std::move(socket)) {
  sys::error_code ignored;
  std::get<Unix>(s_).non_blocking(true, ignored);
}

Stream::Tcp& Stream::tcp() {
  if (auto* tls = std::get_if<std::unique_ptr<Tls>>(&s_)) return (*tls)->next_layer();
  return std::get<Tcp>(s_);
}

awaitable<std::size_t> Stream::read_some(std::span<std::byte> buffer, sys::error_code& ec) {
  ec = {};
  auto* tls = std::get_if<std::unique_ptr<Tls>>(&s_);
  if (tls == nullptr) co_return read_now(buffer, ec);
  co_return co_await (*tls)->async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                             asio::redirect_error(use_awaitable, ec));
}

namespace {

// One non-blocking transfer on a plain socket; "would block" is 0 bytes, not an error.
template <typename Transfer>
std::size_t now_or_zero(Transfer&& transfer, sys::error_code& ec) {
  ec = {};
  const std::size_t n = transfer();
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    return 0;
  }
  return n;
}

}  // namespace

std::size_t Stream::read_now(std::span<std::byte> buffer, sys::error_code& ec) {
  const auto b = asio::buffer(buffer.data(), buffer.size());
  return now_or_zero(
      [&]() -> std::size_t {
        if (auto* tcp_socket = std::get_if<Tcp>(&s_)) return tcp_socket->read_some(b, ec);
        if (auto* unix_socket = std::get_if<Unix>(&s_)) return unix_socket->read_some(b, ec);
        return 0;
      },
      ec);
}

std::size_t Stream::write_now(std::span<const std::byte> bytes, sys::error_code& ec) {
  const auto b = asio::buffer(bytes.data(), bytes.size());
  return now_or_zero(
      [&]() -> std::size_t {
        if (auto* tcp_socket = std::get_if<Tcp>(&s_)) return tcp_socket->write_some(b, ec);
        if (auto* unix_socket = std::get_if<Unix>(&s_)) return unix_socket->write_some(b, ec);
        return 0;
      },
      ec);
}

template <typename Operation>
awaitable<void> Stream::on_stream(Operation operation) {
  co_await std::visit(
      [&](auto& stream) -> awaitable<void> {
        if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::unique_ptr<Tls>>) {
          co_await operation(*stream);
        } else {
          co_await operation(stream);
        }
      },
      s_);
}

awaitable<void> Stream::read_exact(std::span<std::byte> buffer, sys::error_code& ec) {
  ec = {};
  const auto b = asio::buffer(buffer.data(), buffer.size());
  co_await on_stream([&](auto& stream) {
    return asio::async_read(stream, b, asio::redirect_error(use_awaitable, ec));
  });
}

awaitable<void> Stream::write_all(std::span<const std::byte> bytes, sys::error_code& ec) {
  ec = {};
  const auto b = asio::buffer(bytes.data(), bytes.size());
  co_await on_stream([&](auto& stream) {
    return asio::async_write(stream, b, asio::redirect_error(use_awaitable, ec));
  });
}

awaitable<void> Stream::tls_accept(asio::ssl::context& context, sys::error_code& ec) {
  ec = {};
  auto* plain = std::get_if<Tcp>(&s_);
  if (plain == nullptr) {
    ec = asio::error::operation_not_supported;
    co_return;
  }
  plain->non_blocking(false, ec);
  auto tls = std::make_unique<Tls>(std::move(*plain), context);
  co_await tls->async_handshake(Tls::server, asio::redirect_error(use_awaitable, ec));
  s_ = std::move(tls);
}

awaitable<void> Stream::tls_connect(asio::ssl::context& context, const std::string& server_name,
                                    sys::error_code& ec) {
  ec = {};
  auto* plain = std::get_if<Tcp>(&s_);
  if (plain == nullptr) {
    ec = asio::error::operation_not_supported;
    co_return;
  }
  plain->non_blocking(false, ec);
  auto tls = std::make_unique<Tls>(std::move(*plain), context);
  if (!server_name.empty()) {
    // SSL_set_tlsext_host_name without its C cast.
    SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
    tls->set_verify_callback(asio::ssl::host_name_verification(server_name));
  }
  co_await tls->async_handshake(Tls::client, asio::redirect_error(use_awaitable, ec));
  s_ = std::move(tls);
}

void Stream::close() noexcept {
  sys::error_code ignored;
  if (auto* unix_socket = std::get_if<Unix>(&s_)) {
    unix_socket->shutdown(Unix::shutdown_both, ignored);
    unix_socket->close(ignored);
    return;
  }
  auto& socket = tcp();
  socket.shutdown(Tcp::shutdown_both, ignored);
  socket.close(ignored);
}

bool Stream::is_open() const {
  if (const auto* unix_socket = std::get_if<Unix>(&s_)) return unix_socket->is_open();
  if (const auto* tls = std::get_if<std::unique_ptr<Tls>>(&s_)) {
    return (*tls)->next_layer().is_open();
  }
  return std::get<Tcp>(s_).is_open();
}

}  // namespace pgtally
