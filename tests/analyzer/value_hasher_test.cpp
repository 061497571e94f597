#include "analyzer/value_hasher.hpp"

#include "analyzer/canonical_value.hpp"

#include <string>
#include <string_view>

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

std::string canonical(std::string_view text) {
  CanonicalBuffer buffer;
  return std::string(canonical_value(text, buffer));
}

TEST(CanonicalValue, NumbersLoseSignsZerosAndEmptyFractions) {
  EXPECT_EQ(canonical("42"), "42");
  EXPECT_EQ(canonical("+42"), "42");
  EXPECT_EQ(canonical("0042"), "42");
  EXPECT_EQ(canonical("5.50"), "5.5");
  EXPECT_EQ(canonical("5.000"), "5");
  EXPECT_EQ(canonical("5."), "5");
  EXPECT_EQ(canonical(".5"), "0.5");
  EXPECT_EQ(canonical("-0.00"), "0");
  EXPECT_EQ(canonical("-12.340"), "-12.34");
  EXPECT_EQ(canonical("0"), "0");
  for (const char* left_alone : {"-", "+", ".", "1e5", "12a", "1.2.3", "2026-01-02", "abc", ""}) {
    EXPECT_EQ(canonical(left_alone), left_alone);
  }
}

TEST(CanonicalValue, TimestampsFromOrmsMatchPostgresOutput) {
  // Sequelize binds `2026-01-02 03:04:05.100 +00:00`; PostgreSQL (TimeZone UTC) returns
  // `2026-01-02 03:04:05.1+00`; JavaScript's toISOString gives `...T03:04:05.100Z`.
  const std::string pg = canonical("2026-01-02 03:04:05.1+00");
  EXPECT_EQ(pg, "2026-01-02 03:04:05.1+00:00");
  EXPECT_EQ(canonical("2026-01-02 03:04:05.100 +00:00"), pg);
  EXPECT_EQ(canonical("2026-01-02T03:04:05.100Z"), pg);
  EXPECT_EQ(canonical("2026-01-02 03:04:05.1-00"), pg);
  EXPECT_EQ(canonical("2026-01-02 03:04:05+0530"), "2026-01-02 03:04:05+05:30");
  EXPECT_EQ(canonical("2026-01-02 03:04:05.000"), "2026-01-02 03:04:05");
  EXPECT_NE(canonical("2026-01-02 03:04:05+01"), pg);  // zones are not converted
  EXPECT_EQ(canonical("2026-01-02 03:04:05 UTC"), "2026-01-02 03:04:05 UTC");
}

TEST(CanonicalValue, UuidsAreLowerCase) {
  EXPECT_EQ(canonical("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(canonical("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(canonical("G0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
            "G0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11");
}

TEST(ValueHasher, HashesTheCanonicalForm) {
  const ValueHasher h(kReferenceKey);
  EXPECT_EQ(h.hash_text("5.50"), h.hash_text("5.5"));
  EXPECT_EQ(h.hash_text("2026-01-02T03:04:05Z"), h.hash_text("2026-01-02 03:04:05+00"));
  EXPECT_EQ(h.hash_binary_int(std::string("\x00\x00\x00\x2a", 4)), h.hash_text("+42"));
  EXPECT_NE(h.hash_text("5.5"), h.hash_text("5.05"));
}

TEST(ValueHasher, MarksIdLikeValues) {
  const ValueHasher h(kReferenceKey);
  for (const char* id :
       {"7", "-12", "0042", "9223372036854775807", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"}) {
    EXPECT_TRUE(is_id_like(h.hash_text(id))) << id;
  }
  for (const char* other : {"active", "5.5", "2026-01-02 03:04:05+00", "true", "",
                            "123456789012345678901", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}) {
    EXPECT_FALSE(is_id_like(h.hash_text(other))) << other;
  }
  EXPECT_TRUE(is_id_like(h.hash_binary_int(std::string("\x00\x00\x00\x2a", 4))));
  std::string uuid;
  for (int i = 0; i < 16; ++i)
    uuid.push_back(static_cast<char>(0xa0 + i));
  EXPECT_TRUE(is_id_like(h.hash_binary_uuid(uuid)));
}

TEST(ValueHasher, KeysDifferPerProcessInstance) {
  const ValueHasher a;
  const ValueHasher b;
  EXPECT_NE(a.hash_text("42"), b.hash_text("42"));
}

}  // namespace
}  // namespace pgtally::analyzer
