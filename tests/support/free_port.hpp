// Picks TCP ports for throwaway servers in tests.
#pragma once

#include <cstdint>

namespace pgtally::testing {

// A loopback TCP port that was free when asked (bound, then released).
std::uint16_t free_tcp_port();

}  // namespace pgtally::testing
