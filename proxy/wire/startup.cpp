#include "proxy/wire/startup.hpp"

#include <fmt/format.h>

#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/protocol.hpp"

namespace pgtally::wire {

std::string_view StartupMessage::parameter(std::string_view name) const {
  for (const auto& [key, value] : parameters) {
    if (key == name) return value;
  }
  return {};
}

std::optional<StartupError> check_startup_length(std::uint32_t length) {
  if (length < kMinStartupLength || length > kMaxStartupLength) {
    return StartupError{"08P01", fmt::format("invalid startup packet length {} (allowed: {} to {})",
                                             length, kMinStartupLength, kMaxStartupLength)};
  }
  return std::nullopt;
}

namespace {

StartupPacket parse_parameters(std::uint32_t version, std::span<const std::byte> body) {
  StartupMessage message{version, {}};
  std::string_view rest = as_chars(body);
  // Pairs of NUL-terminated strings, then one more NUL.
  while (!rest.empty() && rest.front() != '\0') {
    const auto key_end = rest.find('\0');
    if (key_end == std::string_view::npos) break;
    const auto value_end = rest.find('\0', key_end + 1);
    if (value_end == std::string_view::npos) {
      return StartupError{"08P01", "invalid startup packet layout: a parameter has no value"};
    }
    message.parameters.emplace_back(rest.substr(0, key_end),
                                    rest.substr(key_end + 1, value_end - key_end - 1));
    rest.remove_prefix(value_end + 1);
  }
  if (rest.size() != 1 || rest.front() != '\0') {
    return StartupError{"08P01", "invalid startup packet layout: expected terminator as last byte"};
  }
  if (message.parameter("user").empty()) {
    return StartupError{"28000", "no PostgreSQL user name specified in startup packet"};
  }
  return message;
}

}  // namespace

StartupPacket parse_startup_packet(std::span<const std::byte> packet) {
  if (packet.size() < kMinStartupLength) {
    return StartupError{"08P01", "incomplete startup packet"};
  }
  const std::uint32_t length = read_u32(packet);
  if (auto error = check_startup_length(length)) return *error;
  if (length != packet.size()) return StartupError{"08P01", "incomplete startup packet"};
  const std::uint32_t code = read_u32(packet.subspan(4));
  const auto body = packet.subspan(8);
  switch (code) {
    case kSslRequestCode:
      if (length != 8) return StartupError{"08P01", "invalid SSLRequest length"};
      return SslRequest{};
    case kGssEncRequestCode:
      if (length != 8) return StartupError{"08P01", "invalid GSSENCRequest length"};
      return GssEncRequest{};
    case kCancelRequestCode:
      if (length != 16) return StartupError{"08P01", "invalid CancelRequest length"};
      return CancelRequest{read_i32(body), read_i32(body.subspan(4))};
    default:
      break;
  }
  if ((code >> 16U) != 3) {
    return StartupError{"0A000", fmt::format("unsupported frontend protocol {}.{}: pgtally and "
                                             "PostgreSQL speak protocol 3.0",
                                             code >> 16U, code & 0xFFFFU)};
  }
  return parse_parameters(code, body);
}

}  // namespace pgtally::wire
