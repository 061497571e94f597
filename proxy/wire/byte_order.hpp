// Network byte order reads and writes over byte spans, for the wire codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pgtally::wire {

inline std::uint32_t read_u32(std::span<const std::byte> b) {
  return (std::to_integer<std::uint32_t>(b[0]) << 24U) |
         (std::to_integer<std::uint32_t>(b[1]) << 16U) |
         (std::to_integer<std::uint32_t>(b[2]) << 8U) | std::to_integer<std::uint32_t>(b[3]);
}

inline std::int32_t read_i32(std::span<const std::byte> b) {
  return static_cast<std::int32_t>(read_u32(b));
}

inline std::uint16_t read_u16(std::span<const std::byte> b) {
  return static_cast<std::uint16_t>((std::to_integer<std::uint32_t>(b[0]) << 8U) |
                                    std::to_integer<std::uint32_t>(b[1]));
}

inline void append_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24U) & 0xFFU));
  out.push_back(static_cast<char>((v >> 16U) & 0xFFU));
  out.push_back(static_cast<char>((v >> 8U) & 0xFFU));
  out.push_back(static_cast<char>(v & 0xFFU));
}

inline void put_u32(std::span<std::byte> out, std::uint32_t v) {
  out[0] = static_cast<std::byte>((v >> 24U) & 0xFFU);
  out[1] = static_cast<std::byte>((v >> 16U) & 0xFFU);
  out[2] = static_cast<std::byte>((v >> 8U) & 0xFFU);
  out[3] = static_cast<std::byte>(v & 0xFFU);
}

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

inline std::string_view as_chars(std::span<const std::byte> b) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): byte and char views alias.
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace pgtally::wire
