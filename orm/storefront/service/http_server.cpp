#include "orm/storefront/service/http_server.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/thread_pool.hpp>

#include "proxy/beast.hpp"

namespace pgtally::storefront {
namespace {

namespace sys = boost::system;
using tcp = asio::ip::tcp;
constexpr std::chrono::seconds kIdleTimeout{30};
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = std::uint64_t{64} * 1024U;

http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version, bool keep_alive,
                                           bool head) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "pgtally-storefront");
  res.set(http::field::content_type, "application/json");
  if (!r.request_id.empty()) res.set("X-Request-Id", r.request_id);
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(r.body.size());
  } else {
    res.body() = r.body;
    res.prepare_payload();
  }
  return res;
}

}  // namespace

struct HttpServer::State {
  State(unsigned workers, Handler h) : pool(workers), handler(std::move(h)) {}

  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::thread_pool pool;
  Handler handler;
  std::atomic<std::size_t> connections{0};
};

HttpServer::HttpServer(const Address& listen, unsigned workers, Handler handler)
    : state_(std::make_unique<State>(workers == 0 ? 1 : workers, std::move(handler))) {
  sys::error_code ec;
  const auto address = asio::ip::make_address(listen.host, ec);
  if (ec) {
    throw std::runtime_error(fmt::format(
        "listen address '{}' is not an IP address (names are not resolved)", listen.host));
  }
  const tcp::endpoint endpoint(address, listen.port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint local;
  if (!ec) local = acceptor.local_endpoint(ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot listen on {}:{}: {}", listen.host, listen.port, ec.message()));
  }
  bound_ = Address{local.address().to_string(), local.port()};
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  asio::co_spawn(state_->io, state_->accept_loop(), asio::detached);
  io_thread_ = std::thread([this] { state_->io.run(); });
}

void HttpServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  state_->io.stop();
  if (io_thread_.joinable()) io_thread_.join();
  state_->pool.join();
}

awaitable<void> HttpServer::State::accept_loop() {
  for (;;) {
    sys::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, most likely: back off instead of spinning.
      asio::steady_timer backoff(io, std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (connections.load() >= kMaxConnections) {
      socket.close(ec);
      continue;
    }
    ++connections;
    asio::co_spawn(io, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> HttpServer::State::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(kHeaderLimit + kBodyLimit);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(kIdleTimeout);
    sys::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec == http::error::header_limit || ec == http::error::body_limit ||
        ec == http::error::buffer_overflow) {
      const HttpResponse too_large{
          431, R"({"error":{"code":"request_too_large","message":"request too large"}})", ""};
      auto res = to_beast(too_large, 11, false, false);
      co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
      break;
    }
    if (ec) break;  // closed, timed out or malformed: nothing to answer
    const auto& req = parser.get();
    HttpRequest request{std::string(req.method_string()), std::string(req.target()), {}};
    if (const auto id = req.find("X-Request-Id"); id != req.end()) {
      request.request_id = std::string(id->value());
    }
    // The handler blocks on the database: run it on a worker, resume here when it is done.
    stream.expires_never();
    const HttpResponse response = co_await asio::co_spawn(
        pool.get_executor(),
        [this, &request]() -> awaitable<HttpResponse> { co_return handler(request); },
        use_awaitable);
    auto res =
        to_beast(response, req.version(), req.keep_alive(), req.method() == http::verb::head);
    stream.expires_after(kIdleTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  sys::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  --connections;
}

}  // namespace pgtally::storefront
