// A bare TCP client for tests that must send what no driver would: malformed startups, huge
// lengths, stalls, abrupt closes. Blocking, every read bounded by a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgtally::testing {

struct RawMessage {
  char type = 0;
  std::string payload;
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port, std::string_view host = "127.0.0.1");
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient(RawClient&&) = delete;
  RawClient& operator=(RawClient&&) = delete;

  void send(std::string_view bytes);
  // One typed message, or nullopt when the peer closed or the deadline passed.
  std::optional<RawMessage> read_message(
      std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Exactly n bytes, or nullopt.
  std::optional<std::string> read_bytes(
      std::size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // True when the peer closes the connection before the deadline (pending bytes are skipped).
  bool closed_by_peer(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // Sends a v3 StartupMessage and reads until ReadyForQuery (trust auth only); returns the
  // messages seen.
  std::vector<RawMessage> startup(std::string_view user, std::string_view database);
  void close();

 private:
  int fd_ = -1;
};

// Startup packet builders.
std::string startup_packet(std::uint32_t version,
                           const std::vector<std::pair<std::string, std::string>>& parameters);
std::string typed_message(char type, std::string_view payload);
std::string length_prefixed(std::uint32_t length, std::string_view rest);

}  // namespace pgtally::testing
