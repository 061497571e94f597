// Finds message boundaries in a typed message stream (everything after startup) as bytes pass
// through, without copying them: the relay forwards the same bytes it fed here. Reports each
// message once, with the first bytes of its payload up to what the caller asks for.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/protocol.hpp"

namespace pgtally::wire {

struct Frame {
  char type = 0;
  std::uint32_t length = 0;         // as on the wire: payload + the 4 length bytes
  std::span<const std::byte> head;  // the first payload bytes, as many as were asked for
};

enum class FrameError : std::uint8_t { none, length_too_small, length_too_large };

class Framer {
 public:
  explicit Framer(std::uint32_t max_length = kDefaultMaxMessageLength) : max_length_(max_length) {}

  // Feeds the next bytes of the stream. `head_wanted(type, length)` says how many payload bytes
  // to show `on_frame(const Frame&)`; a head split across feeds is gathered into a small buffer
  // that lives only until the head is complete. After an error the framer stays failed.
  template <typename HeadWanted, typename OnFrame>
  FrameError feed(std::span<const std::byte> bytes, HeadWanted&& head_wanted, OnFrame&& on_frame);

  // True between messages: a message injected now would not split one in flight.
  [[nodiscard]] bool at_boundary() const { return !in_body_ && header_have_ == 0; }
  [[nodiscard]] FrameError error() const { return error_; }
  // The declared length of the message that failed, for the error message.
  [[nodiscard]] std::uint32_t failed_length() const { return length_; }
  [[nodiscard]] char failed_type() const { return type_; }

 private:
  std::uint32_t max_length_;
  std::array<std::byte, kMessageHeaderSize> header_{};
  std::uint32_t header_have_ = 0;
  bool in_body_ = false;
  char type_ = 0;
  std::uint32_t length_ = 0;
  std::uint32_t body_left_ = 0;
  std::uint32_t head_left_ = 0;  // head bytes still to gather into head_buf_
  std::string head_buf_;
  FrameError error_ = FrameError::none;
};

template <typename HeadWanted, typename OnFrame>
FrameError Framer::feed(std::span<const std::byte> bytes, HeadWanted&& head_wanted,
                        OnFrame&& on_frame) {
  if (error_ != FrameError::none) return error_;
  std::size_t at = 0;
  const std::size_t size = bytes.size();
  while (at < size) {
    if (!in_body_) {
      const std::size_t take = std::min<std::size_t>(kMessageHeaderSize - header_have_, size - at);
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), take,
                  header_.begin() + header_have_);
      header_have_ += static_cast<std::uint32_t>(take);
      at += take;
      if (header_have_ < kMessageHeaderSize) break;
      header_have_ = 0;
      type_ = static_cast<char>(header_[0]);
      length_ = read_u32(std::span<const std::byte>(header_).subspan(1));
      if (length_ < 4) return error_ = FrameError::length_too_small;
      if (length_ > max_length_) return error_ = FrameError::length_too_large;
      in_body_ = true;
      body_left_ = length_ - 4;
      const std::uint32_t want = std::min<std::uint32_t>(
          static_cast<std::uint32_t>(head_wanted(type_, length_)), body_left_);
      if (want <= size - at) {
        on_frame(Frame{type_, length_, bytes.subspan(at, want)});
      } else {
        head_left_ = want;
        head_buf_.reserve(want);
      }
      if (body_left_ == 0) {
        in_body_ = false;
        continue;
      }
    }
    if (head_left_ > 0) {
      const std::size_t take = std::min<std::size_t>(head_left_, size - at);
      const std::string_view chunk = as_chars(bytes.subspan(at, take));
      head_buf_.append(chunk);
      head_left_ -= static_cast<std::uint32_t>(take);
      if (head_left_ == 0) {
        on_frame(Frame{type_, length_, as_bytes(head_buf_)});
        std::string().swap(head_buf_);  // hold nothing between messages
      }
      // Gathered head bytes are body bytes too: account for them below, not twice.
      body_left_ -= static_cast<std::uint32_t>(take);
      at += take;
      if (body_left_ == 0) in_body_ = false;
      continue;
    }
    const std::size_t take = std::min<std::size_t>(body_left_, size - at);
    body_left_ -= static_cast<std::uint32_t>(take);
    at += take;
    if (body_left_ == 0) in_body_ = false;
  }
  return FrameError::none;
}

}  // namespace pgtally::wire
