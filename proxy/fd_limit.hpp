// The open-files limit: raised to its hard limit at start, and checked against the client
// limit, since each client costs two descriptors (client and server legs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pgtally {

struct FileLimit {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// Raises the soft limit to the hard limit; returns the limits in force afterwards.
FileLimit raise_open_files_limit();

// Descriptors pgtally keeps for itself: listeners, log, HTTP, cancel connections.
inline constexpr std::uint64_t kReservedDescriptors = 64;

// An error naming both numbers when `max_client_conn` clients cannot fit in `limit`.
std::optional<std::string> check_client_capacity(std::uint64_t max_client_conn,
                                                 const FileLimit& limit);

}  // namespace pgtally
