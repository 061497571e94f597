// Drives the stream framer and the startup-reply filter with arbitrary bytes split at
// arbitrary points: every split of the same bytes must give the same frames.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proxy/wire/framer.hpp"
#include "proxy/wire/startup_reply.hpp"

namespace {

struct Seen {
  char type;
  std::uint32_t length;
  std::string head;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> frames(std::span<const std::byte> bytes, std::size_t piece, std::uint32_t cap,
                         pgtally::wire::FrameError& error) {
  pgtally::wire::Framer framer(1U << 20U);
  std::vector<Seen> seen;
  error = pgtally::wire::FrameError::none;
  for (std::size_t at = 0; at < bytes.size() && error == pgtally::wire::FrameError::none;
       at += piece) {
    error = framer.feed(
        bytes.subspan(at, std::min(piece, bytes.size() - at)),
        [cap](char, std::uint32_t) { return cap; },
        [&seen](const pgtally::wire::Frame& f) {
          seen.push_back({f.type, f.length, std::string(pgtally::wire::as_chars(f.head))});
        });
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t piece = 1 + data[0] % 64;
  const std::uint32_t cap = data[1];
  const auto bytes = std::as_bytes(std::span(data + 2, size - 2));
  pgtally::wire::FrameError whole_error{};
  pgtally::wire::FrameError split_error{};
  const auto whole = frames(bytes, bytes.size() + 1, cap, whole_error);
  const auto split = frames(bytes, piece, cap, split_error);
  if (whole != split || whole_error != split_error) __builtin_trap();

  pgtally::wire::StartupReply reply(data[0] % 2 == 0);
  std::string out;
  for (std::size_t at = 0; at < bytes.size() && !reply.done(); at += piece) {
    std::string rest;
    if (!reply.feed(bytes.subspan(at, std::min(piece, bytes.size() - at)), out, rest,
                    [](std::span<const std::byte>) {})) {
      break;
    }
  }
  return 0;
}
