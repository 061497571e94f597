#include "proxy/wire/startup_reply.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/wire/wire_builders.hpp"

namespace pgtally::wire {
namespace {

using testing::message;
using testing::sasl_offer;

struct Outcome {
  std::string forwarded;
  std::string rest;
  std::vector<char> types;
  bool done = false;
};

Outcome feed_in_pieces(const std::string& stream, std::size_t piece, bool strip) {
  StartupReply reply(strip);
  Outcome outcome;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    std::string rest;
    EXPECT_TRUE(reply.feed(
        as_bytes(std::string_view(stream).substr(at, piece)), outcome.forwarded, rest,
        [&](std::span<const std::byte> m) { outcome.types.push_back(static_cast<char>(m[0])); }));
    outcome.rest += rest;
    if (reply.done() && at + piece < stream.size()) {
      // What follows ReadyForQuery streams past this filter.
      outcome.rest += stream.substr(at + piece);
      outcome.forwarded += stream.substr(at + piece);
      break;
    }
  }
  outcome.done = reply.done();
  return outcome;
}

TEST(StartupReply, DropsScramPlusWhenTheOfferArrivesInAnyNumberOfPieces) {
  const std::string tail = message('S', std::string("a\0b\0", 4)) + message('Z', "I");
  const std::string stream = sasl_offer({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}) + tail;
  for (std::size_t piece : {1U, 2U, 3U, 7U, 13U, 1000U}) {
    const auto outcome = feed_in_pieces(stream, piece, true);
    EXPECT_EQ(outcome.forwarded, sasl_offer({"SCRAM-SHA-256"}) + tail) << "piece " << piece;
    EXPECT_TRUE(outcome.done);
    EXPECT_EQ(outcome.types, (std::vector<char>{'R', 'S', 'Z'}));
  }
}

TEST(StartupReply, ForwardsUnchangedWhenNotStripping) {
  const std::string stream =
      sasl_offer({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}) + message('Z', "I");
  EXPECT_EQ(feed_in_pieces(stream, 5, false).forwarded, stream);
}

TEST(StartupReply, BytesAfterReadyForQueryAreHandedOnUnexamined) {
  const std::string after = message('T', "xyz") + "partial";
  const auto outcome = feed_in_pieces(message('Z', "I") + after, 4096, true);
  EXPECT_EQ(outcome.rest, after);
  EXPECT_EQ(outcome.types, std::vector<char>{'Z'});
}

TEST(StartupReply, InvalidLengthIsAnError) {
  StartupReply reply(true);
  std::string out;
  std::string rest;
  std::string bad(1, 'R');
  append_u32(bad, 2);
  EXPECT_FALSE(reply.feed(as_bytes(bad), out, rest, [](std::span<const std::byte>) {}));
}

}  // namespace
}  // namespace pgtally::wire
