// The server's messages from the startup packet to the first ReadyForQuery, gathered whole so
// the relay can read BackendKeyData and drop SCRAM-SHA-256-PLUS from AuthenticationSASL when
// the client leg cannot bind a channel. Pure: bytes in, bytes to forward out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/messages.hpp"
#include "proxy/wire/protocol.hpp"

namespace pgtally::wire {

class StartupReply {
 public:
  explicit StartupReply(bool strip_scram_plus) : strip_scram_plus_(strip_scram_plus) {}

  // Appends to `out` what to forward for `chunk`. `on_message(message)` sees each whole message
  // as forwarded (edited or not). Once ReadyForQuery has passed, done() is true and the rest of
  // the chunk is appended unexamined: the caller's stream framer takes over from there, so it
  // gets `rest` to frame. Returns false when a message length is invalid.
  template <typename OnMessage>
  bool feed(std::span<const std::byte> chunk, std::string& out, std::string& rest,
            OnMessage&& on_message);

  [[nodiscard]] bool done() const { return done_; }

 private:
  bool strip_scram_plus_;
  bool done_ = false;
  std::string pending_;
};

template <typename OnMessage>
bool StartupReply::feed(std::span<const std::byte> chunk, std::string& out, std::string& rest,
                        OnMessage&& on_message) {
  pending_.append(as_chars(chunk));
  std::size_t used = 0;
  while (!done_) {
    const auto remaining = as_bytes(pending_).subspan(used);
    const auto size = complete_message_size(remaining, kDefaultMaxMessageLength);
    if (!size) return false;
    if (*size == 0) break;
    const auto message = remaining.first(*size);
    const char type = static_cast<char>(message[0]);
    std::optional<std::string> edited;
    if (type == backend::kAuthentication && strip_scram_plus_) edited = strip_scram_plus(message);
    if (type == backend::kReadyForQuery) done_ = true;
    const auto forwarded = edited ? as_bytes(*edited) : message;
    on_message(forwarded);
    out.append(as_chars(forwarded));
    used += *size;
  }
  if (done_) {
    rest.assign(pending_, used);
    out.append(rest);
    std::string().swap(pending_);
  } else {
    pending_.erase(0, used);
  }
  return true;
}

}  // namespace pgtally::wire
