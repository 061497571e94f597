#include "proxy/wire/framer.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/wire/wire_builders.hpp"

#include "proxy/wire/byte_order.hpp"

namespace pgtally::wire {
namespace {

using testing::message;
using testing::sasl_offer;

struct Seen {
  char type;
  std::uint32_t length;
  std::string head;
};

// Feeds `stream` in pieces of `piece` bytes and records every frame.
std::vector<Seen> frame_in_pieces(const std::string& stream, std::size_t piece, std::size_t cap,
                                  FrameError* error = nullptr) {
  Framer framer(1000);
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    const auto chunk = as_bytes(std::string_view(stream).substr(at, piece));
    const FrameError e = framer.feed(
        chunk, [cap](char, std::uint32_t) { return cap; },
        [&seen](const Frame& f) {
          seen.push_back({f.type, f.length, std::string(as_chars(f.head))});
        });
    if (e != FrameError::none) {
      if (error != nullptr) *error = e;
      return seen;
    }
  }
  EXPECT_TRUE(framer.at_boundary());
  return seen;
}

TEST(Framer, ReportsEveryMessageWhateverTheReadSizes) {
  const std::string stream = message('Q', std::string("SELECT 1") + '\0') + message('S', "") +
                             message('D', std::string(300, 'x')) + message('Z', "I");
  for (std::size_t piece : {1U, 2U, 3U, 5U, 7U, 64U, 4096U}) {
    const auto seen = frame_in_pieces(stream, piece, 6);
    ASSERT_EQ(seen.size(), 4U) << "piece " << piece;
    EXPECT_EQ(seen[0].type, 'Q');
    EXPECT_EQ(seen[0].head, "SELECT");
    EXPECT_EQ(seen[1].type, 'S');
    EXPECT_EQ(seen[1].length, 4U);
    EXPECT_EQ(seen[1].head, "");
    EXPECT_EQ(seen[2].length, 304U);
    EXPECT_EQ(seen[2].head, "xxxxxx");
    EXPECT_EQ(seen[3].head, "I");
  }
}

TEST(Framer, HeadIsCappedByTheMessageLength) {
  const auto seen = frame_in_pieces(message('Z', "T"), 1, 100);
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].head, "T");
}

TEST(Framer, RejectsLengthBelowFour) {
  std::string bad(1, 'Q');
  append_u32(bad, 3);
  FrameError error = FrameError::none;
  frame_in_pieces(bad, 2, 0, &error);
  EXPECT_EQ(error, FrameError::length_too_small);
}

TEST(Framer, RejectsLengthAboveTheLimitBeforeReadingTheBody) {
  std::string bad(1, 'Q');
  append_u32(bad, 0x80000000U);  // the "2 GB message"
  FrameError error = FrameError::none;
  const auto seen = frame_in_pieces(message('S', "") + bad, 3, 0, &error);
  EXPECT_EQ(error, FrameError::length_too_large);
  EXPECT_EQ(seen.size(), 1U);
}

TEST(Framer, StaysFailedAfterAnError) {
  Framer framer(10);
  std::string bad(1, 'Q');
  append_u32(bad, 11);
  auto none = [](char, std::uint32_t) { return 0; };
  int frames = 0;
  auto count = [&frames](const Frame&) { ++frames; };
  EXPECT_EQ(framer.feed(as_bytes(bad), none, count), FrameError::length_too_large);
  EXPECT_EQ(framer.feed(as_bytes(message('S', "")), none, count), FrameError::length_too_large);
  EXPECT_EQ(frames, 0);
}

TEST(Framer, IsNotAtBoundaryInsideAMessage) {
  Framer framer;
  const std::string m = message('D', "abcdef");
  auto none = [](char, std::uint32_t) { return 0; };
  auto ignore = [](const Frame&) {};
  framer.feed(as_bytes(std::string_view(m).substr(0, 3)), none, ignore);
  EXPECT_FALSE(framer.at_boundary());
  framer.feed(as_bytes(std::string_view(m).substr(3)), none, ignore);
  EXPECT_TRUE(framer.at_boundary());
}

}  // namespace
}  // namespace pgtally::wire
