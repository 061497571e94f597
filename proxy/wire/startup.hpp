// Parses the untyped first packets a client sends: SSLRequest, GSSENCRequest, CancelRequest and
// StartupMessage. Pure: the session reads the bytes and acts on what this returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pgtally::wire {

struct SslRequest {};
struct GssEncRequest {};
struct CancelRequest {
  std::int32_t pid = 0;
  std::int32_t key = 0;
};
struct StartupMessage {
  std::uint32_t version = 0;
  std::vector<std::pair<std::string, std::string>> parameters;
  [[nodiscard]] std::string_view parameter(std::string_view name) const;
};
// Why a packet was refused, as an ErrorResponse would say it.
struct StartupError {
  std::string sqlstate;
  std::string message;
};

using StartupPacket =
    std::variant<SslRequest, GssEncRequest, CancelRequest, StartupMessage, StartupError>;

// Checks the int32 length that starts every startup packet (it counts itself).
std::optional<StartupError> check_startup_length(std::uint32_t length);

// Parses one whole packet, its length prefix included.
StartupPacket parse_startup_packet(std::span<const std::byte> packet);

}  // namespace pgtally::wire
