// "host:port" as the service's --listen and the load driver's --target take it: an IP address
// (IPv6 in brackets) and a port. Resolving names is left out on purpose: both ends are local.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgtally::storefront {

struct Address {
  std::string host;
  std::uint16_t port = 0;
};

// Nothing when the text is not host:port with a numeric port (0 allowed: any free port).
std::optional<Address> parse_address(std::string_view text);

}  // namespace pgtally::storefront
