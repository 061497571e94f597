#include "proxy/http_client.hpp"

#include <cstdint>

#include <fmt/format.h>
#include <boost/asio/this_coro.hpp>

#include "proxy/beast.hpp"
#include "proxy/config.hpp"

namespace pgtally {
namespace {

namespace sys = boost::system;

awaitable<void> get(asio::ip::tcp::endpoint endpoint, std::string host, std::string target,
                    std::string token, std::chrono::milliseconds timeout, HttpGetResult& out) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  sys::error_code ec;
  co_await stream.async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    out.error = fmt::format("cannot connect to {}: {}", host, ec.message());
    co_return;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "pgtally-expect");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{64} * 1024 * 1024);
  if (!ec)
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    out.error = fmt::format("no answer from {}: {}", host, ec.message());
    co_return;
  }
  out.reached = true;
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

}  // namespace

HttpGetResult http_get(const std::string& host_port, const std::string& target,
                       const std::string& token, std::chrono::milliseconds timeout) {
  HttpGetResult result;
  const auto parsed = parse_host_port(host_port);
  sys::error_code ec;
  const auto address = parsed ? asio::ip::make_address(parsed->host, ec) : asio::ip::address();
  if (!parsed || ec) {
    result.error = fmt::format("'{}' is not an IP address and port", host_port);
    return result;
  }
  asio::io_context context(1);
  asio::co_spawn(context,
                 get(asio::ip::tcp::endpoint(address, parsed->port), host_port, target, token,
                     timeout, result),
                 asio::detached);
  context.run();
  return result;
}

}  // namespace pgtally
