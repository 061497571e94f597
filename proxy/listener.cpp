#include "proxy/listener.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/config.hpp"
#include "proxy/proxy.hpp"
#include "proxy/session.hpp"
#include "proxy/stream.hpp"

namespace pgtally {
namespace {

namespace sys = boost::system;
constexpr std::chrono::milliseconds kAcceptBackoff{100};

// Accept errors that mean "try again later" (out of descriptors, aborted handshakes).
bool transient(const sys::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::connection_aborted ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory || ec.value() == ENFILE;
}

template <typename Socket>
void hand_off(Proxy& proxy, Worker& worker, Socket socket, std::string address) {
  const auto count = proxy.shared().clients.fetch_add(1, std::memory_order_relaxed) + 1;
  const bool over_limit = count > proxy.config().max_client_conn;
  proxy.shared().counters.accepted.fetch_add(1, std::memory_order_relaxed);
  asio::post(worker.context(), [&worker, socket = std::move(socket), address = std::move(address),
                                over_limit]() mutable {
    auto session = std::make_shared<Session>(worker, Stream(std::move(socket)), std::move(address),
                                             over_limit);
    Session::start(session);
  });
}

}  // namespace

Listener::Listener(Proxy& proxy, asio::io_context& context, const std::string& host_port)
    : proxy_(proxy), context_(context) {
  const auto parsed = parse_host_port(host_port);
  if (!parsed) throw std::runtime_error(fmt::format("invalid listen address '{}'", host_port));
  sys::error_code ec;
  const auto address = asio::ip::make_address(parsed->host, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("listen address '{}': '{}' is not an IP address", host_port, parsed->host));
  }
  const asio::ip::tcp::endpoint endpoint(address, parsed->port);
  tcp_.emplace(context);
  tcp_->open(endpoint.protocol(), ec);
  if (!ec) tcp_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && address.is_v6()) tcp_->set_option(asio::ip::v6_only(true), ec);
  if (!ec) tcp_->bind(endpoint, ec);
  if (!ec) tcp_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("cannot listen on {}: {}", host_port, ec.message()));
  }
}

Listener::Listener(Proxy& proxy, asio::io_context& context,
                   const std::filesystem::path& socket_path)
    : proxy_(proxy), context_(context), socket_path_(socket_path) {
  using Protocol = asio::local::stream_protocol;
  sys::error_code ec;
  std::error_code fs_ec;
  // A socket file left by a process that is gone is removed; a live one is an error.
  if (std::filesystem::exists(socket_path, fs_ec)) {
    Protocol::socket probe(context);
    probe.connect(Protocol::endpoint(socket_path.string()), ec);
    if (!ec) {
      throw std::runtime_error(
          fmt::format("cannot listen on {}: another server is accepting connections there",
                      socket_path.string()));
    }
    ec = {};
    std::filesystem::remove(socket_path, fs_ec);
  }
  unix_.emplace(context);
  unix_->open(Protocol(), ec);
  if (!ec) unix_->bind(Protocol::endpoint(socket_path.string()), ec);
  if (!ec) unix_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}: {}", socket_path.string(), ec.message()));
  }
  ::chmod(socket_path.c_str(), 0777);  // like PostgreSQL: access is decided by authentication
}

Listener::~Listener() {
  if (!socket_path_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(socket_path_, ignored);
  }
}

void Listener::start() {
  if (tcp_) asio::co_spawn(context_, accept_tcp(), asio::detached);
  if (unix_) asio::co_spawn(context_, accept_unix(), asio::detached);
}

void Listener::close() {
  sys::error_code ignored;
  if (tcp_) tcp_->close(ignored);
  if (unix_) unix_->close(ignored);
}

std::optional<asio::ip::tcp::endpoint> Listener::tcp_endpoint() const {
  if (!tcp_) return std::nullopt;
  sys::error_code ec;
  auto endpoint = tcp_->local_endpoint(ec);
  if (ec) return std::nullopt;
  return endpoint;
}

// One accept loop for both kinds of acceptor; `address_of` names the peer for the session.
template <typename Acceptor, typename AddressOf>
awaitable<void> Listener::accept_loop(Acceptor& acceptor, AddressOf address_of) {
  sys::error_code ec;
  while (acceptor.is_open()) {
    Worker& worker = proxy_.next_worker();
    auto socket =
        co_await acceptor.async_accept(worker.context(), asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
      if (!transient(ec)) co_return;
      asio::steady_timer backoff(context_, kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    std::string address = address_of(socket);
    hand_off(proxy_, worker, std::move(socket), std::move(address));
  }
}

awaitable<void> Listener::accept_tcp() {
  return accept_loop(*tcp_, [](const auto& socket) {
    sys::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    return ec ? std::string("unknown") : peer.address().to_string();
  });
}

awaitable<void> Listener::accept_unix() {
  return accept_loop(*unix_, [](const auto&) { return std::string("unix"); });
}

}  // namespace pgtally
