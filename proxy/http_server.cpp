#include "proxy/http_server.hpp"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/beast.hpp"
#include "proxy/config.hpp"

namespace pgtally {
namespace {

namespace sys = boost::system;
constexpr std::chrono::seconds kIdleTimeout{30};
constexpr std::uint32_t kHeaderLimit = 8U * 1024U;
constexpr std::uint64_t kBodyLimit = std::uint64_t{8} * 1024;

http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version, bool keep_alive,
                                           bool head) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "pgtally");
  res.set(http::field::content_type, r.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : r.headers)
    res.set(name, value);
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

HttpServer::HttpServer(const std::string& host_port, std::shared_ptr<const HttpApi> api)
    : api_(std::move(api)) {
  const auto parsed = parse_host_port(host_port);
  if (!parsed) throw std::runtime_error(fmt::format("invalid http address '{}'", host_port));
  sys::error_code ec;
  const auto address = asio::ip::make_address(parsed->host, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("http address '{}': '{}' is not an IP address", host_port, parsed->host));
  }
  const asio::ip::tcp::endpoint endpoint(address, parsed->port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) endpoint_ = acceptor_.local_endpoint(ec);
  if (ec) {
    throw std::runtime_error(fmt::format("cannot serve http on {}: {}", host_port, ec.message()));
  }
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  asio::co_spawn(context_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { context_.run(); });
  spdlog::info("event=http_listening address={}",
               fmt::format("{}:{}", endpoint_.address().to_string(), endpoint_.port()));
}

void HttpServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  context_.stop();
  if (thread_.joinable()) thread_.join();
}

awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    sys::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("event=http_accept_failed error=\"{}\"", ec.message());
      asio::steady_timer backoff(context_, std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (connections_.load() >= kMaxConnections) {
      socket.close(ec);  // a scraper retries; the relay is not affected
      continue;
    }
    ++connections_;
    asio::co_spawn(context_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> HttpServer::serve(asio::ip::tcp::socket socket) {
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
          431, "text/plain; charset=utf-8", "request too large for pgtally's HTTP listener\n", {}};
      auto res = to_beast(too_large, 11, false, false);
      co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
      break;
    }
    if (ec) break;  // closed, timed out or malformed: nothing to answer
    const auto& req = parser.get();
    const auto auth = req[http::field::authorization];
    const HttpRequest request{
        std::string_view(req.method_string().data(), req.method_string().size()),
        std::string_view(req.target().data(), req.target().size()),
        std::string_view(auth.data(), auth.size())};
    HttpResponse response;
    try {
      response = api_->handle(request);
    } catch (const std::exception& e) {
      spdlog::error("event=http_handler_failed path=\"{}\" error=\"{}\"",
                    request.target.substr(0, 200), e.what());
      response = {500, "text/plain; charset=utf-8", "internal error; see pgtally's log\n", {}};
    }
    auto res =
        to_beast(response, req.version(), req.keep_alive(), req.method() == http::verb::head);
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  sys::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  --connections_;
}

}  // namespace pgtally
