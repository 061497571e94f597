#include "orm/storefront/service/http_client.hpp"

#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "proxy/beast.hpp"

namespace pgtally::storefront {

namespace sys = boost::system;
using tcp = asio::ip::tcp;

struct HttpClient::Connection {
  asio::io_context io{1};
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool open = false;
};

HttpClient::HttpClient(Address target, std::chrono::milliseconds timeout)
    : target_(std::move(target)), timeout_(timeout), connection_(std::make_unique<Connection>()) {}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpReply HttpClient::get(const std::string& target, const std::optional<std::string>& request_id,
                          const std::string& method) {
  HttpReply reply;
  auto& c = *connection_;
  sys::error_code ec;
  // The stream's timeouts only apply to async operations: run each one on the private context.
  const auto run = [&] {
    c.io.restart();
    c.io.run();
  };
  if (!c.open) {
    const auto address = asio::ip::make_address(target_.host, ec);
    if (ec) {
      reply.error = fmt::format("'{}' is not an IP address", target_.host);
      return reply;
    }
    c.buffer.clear();
    c.stream.expires_after(timeout_);
    c.stream.async_connect(tcp::endpoint(address, target_.port),
                           [&](const sys::error_code& e) { ec = e; });
    run();
    if (ec) {
      reply.error =
          fmt::format("cannot connect to {}:{}: {}", target_.host, target_.port, ec.message());
      c.stream.close();
      return reply;
    }
    c.open = true;
  }
  http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, fmt::format("{}:{}", target_.host, target_.port));
  req.set(http::field::user_agent, "pgtally-storefront-load");
  if (request_id) req.set("X-Request-Id", *request_id);
  req.keep_alive(true);
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{64} * 1024U * 1024U);
  c.stream.expires_after(timeout_);
  http::async_write(c.stream, req, [&](const sys::error_code& e, std::size_t) { ec = e; });
  run();
  if (!ec) {
    c.stream.expires_after(timeout_);
    http::async_read(c.stream, c.buffer, parser,
                     [&](const sys::error_code& e, std::size_t) { ec = e; });
    run();
  }
  if (ec) {
    reply.error = fmt::format("no answer from {}:{} for {}: {}", target_.host, target_.port, target,
                              ec.message());
    c.stream.close();
    c.open = false;
    return reply;
  }
  auto& res = parser.get();
  reply.reached = true;
  reply.status = res.result_int();
  if (const auto id = res.find("X-Request-Id"); id != res.end()) {
    reply.request_id = std::string(id->value());
  }
  reply.body = std::move(res.body());
  if (!res.keep_alive()) {
    c.stream.close();
    c.open = false;
  }
  return reply;
}

}  // namespace pgtally::storefront
