// Builders of protocol messages for the codec's tests.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "proxy/wire/byte_order.hpp"

namespace pgtally::wire::testing {

// A typed message: type byte, int32 length, body.
inline std::string message(char type, std::string_view body) {
  std::string out(1, type);
  append_u32(out, static_cast<std::uint32_t>(body.size() + 4));
  out.append(body);
  return out;
}

// AuthenticationSASL offering `mechanisms`.
inline std::string sasl_offer(std::initializer_list<std::string_view> mechanisms) {
  std::string body;
  append_u32(body, 10);
  for (auto m : mechanisms) {
    body.append(m);
    body.push_back('\0');
  }
  body.push_back('\0');
  return message('R', body);
}

}  // namespace pgtally::wire::testing
