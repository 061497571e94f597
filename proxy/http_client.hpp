// A small blocking HTTP GET for `pgtally expect` and the tests: one request on its own
// io_context, bounded by a timeout. Not for the relay's threads.
#pragma once

#include <chrono>
#include <string>

namespace pgtally {

struct HttpGetResult {
  bool reached = false;  // false: could not connect, or no complete answer in time
  unsigned status = 0;
  std::string body;
  std::string error;  // when !reached: what went wrong
};

// `host_port` is an IP address and port; `token` empty: no Authorization header.
[[nodiscard]] HttpGetResult http_get(const std::string& host_port, const std::string& target,
                                     const std::string& token, std::chrono::milliseconds timeout);

}  // namespace pgtally
