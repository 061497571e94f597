#include "analyzer/value_hasher.hpp"

#include <string>

#include <gtest/gtest.h>

namespace pgtally::analyzer {
namespace {

const ValueHasher::Key kReferenceKey = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

TEST(SipHash24, MatchesTheReferenceVectors) {
  // From the SipHash paper's reference implementation (vectors.h): key 00..0f, input 00..n-1.
  EXPECT_EQ(siphash24(kReferenceKey, ""), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(siphash24(kReferenceKey, std::string(1, '\0')), 0x74f839c593dc67fdULL);
  std::string fifteen;
  for (int i = 0; i < 15; ++i)
    fifteen.push_back(static_cast<char>(i));
  EXPECT_EQ(siphash24(kReferenceKey, fifteen), 0xa129ca6149be45e5ULL);
}

TEST(ValueHasher, BinaryIntegersHashAsTheirText) {
  const ValueHasher h(kReferenceKey);
  EXPECT_EQ(h.hash_binary_int(std::string("\x00\x00\x00\x2a", 4)), h.hash_text("42"));
  EXPECT_EQ(h.hash_binary_int(std::string("\xff\xff", 2)), h.hash_text("-1"));
  EXPECT_EQ(h.hash_binary_int(std::string("\x00\x00\x00\x00\x00\x00\x01\x00", 8)),
            h.hash_text("256"));
}

TEST(ValueHasher, BinaryUuidHashesAsItsText) {
  const ValueHasher h(kReferenceKey);
  std::string bytes;
  for (int i = 0; i < 16; ++i)
    bytes.push_back(static_cast<char>(0x10 + i));
  EXPECT_EQ(h.hash_binary_uuid(bytes), h.hash_text("10111213-1415-1617-1819-1a1b1c1d1e1f"));
}

TEST(ValueHasher, KeysDifferPerProcessInstance) {
  const ValueHasher a;
  const ValueHasher b;
  EXPECT_NE(a.hash_text("42"), b.hash_text("42"));
}

}  // namespace
}  // namespace pgtally::analyzer
