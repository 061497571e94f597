#include "tests/proxy/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include <fmt/format.h>

#include "proxy/wire/byte_order.hpp"

namespace pgtally::testing {
namespace {
using Clock = std::chrono::steady_clock;

// Waits for readability until `until`; false on timeout.
bool wait_readable(int fd, Clock::time_point until) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

RawClient::RawClient(std::uint16_t port, std::string_view host) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, std::string(host).c_str(), &addr.sin_addr);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API is C.
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error(fmt::format("RawClient: cannot connect to port {}", port));
  }
}

RawClient::~RawClient() {
  close();
}

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawClient::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer closed: the reads will show it
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<std::string> RawClient::read_bytes(std::size_t n,
                                                 std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string out;
  while (out.size() < n) {
    if (!wait_readable(fd_, until)) return std::nullopt;
    std::string chunk(n - out.size(), '\0');
    const ssize_t got = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (got <= 0) return std::nullopt;
    out.append(chunk.data(), static_cast<std::size_t>(got));
  }
  return out;
}

std::optional<RawMessage> RawClient::read_message(std::chrono::milliseconds deadline) {
  auto header = read_bytes(5, deadline);
  if (!header) return std::nullopt;
  const std::uint32_t length = wire::read_u32(wire::as_bytes(*header).subspan(1));
  if (length < 4) return std::nullopt;
  auto payload = read_bytes(length - 4, deadline);
  if (!payload) return std::nullopt;
  return RawMessage{(*header)[0], std::move(*payload)};
}

bool RawClient::closed_by_peer(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (!wait_readable(fd_, until)) return false;
    char buffer[4096];
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got == 0) return true;
    if (got < 0) return errno == ECONNRESET;
  }
}

std::vector<RawMessage> RawClient::startup(std::string_view user, std::string_view database) {
  send(startup_packet(196608, {{"user", std::string(user)}, {"database", std::string(database)}}));
  std::vector<RawMessage> seen;
  while (auto message = read_message()) {
    seen.push_back(*message);
    if (message->type == 'Z' || message->type == 'E') break;
  }
  return seen;
}

std::string length_prefixed(std::uint32_t length, std::string_view rest) {
  std::string out;
  wire::append_u32(out, length);
  out.append(rest);
  return out;
}

std::string startup_packet(std::uint32_t version,
                           const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string body;
  wire::append_u32(body, version);
  for (const auto& [key, value] : parameters) {
    body += key;
    body.push_back('\0');
    body += value;
    body.push_back('\0');
  }
  body.push_back('\0');
  return length_prefixed(static_cast<std::uint32_t>(body.size() + 4), body);
}

std::string typed_message(char type, std::string_view payload) {
  std::string out(1, type);
  wire::append_u32(out, static_cast<std::uint32_t>(payload.size() + 4));
  out.append(payload);
  return out;
}

}  // namespace pgtally::testing
