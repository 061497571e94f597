#include "analyzer/fingerprint.hpp"

#include <string>

#include <gtest/gtest.h>

namespace pgtally::analyzer {
namespace {

std::shared_ptr<const FingerprintInfo> fp(Fingerprinter& f, const std::string& sql) {
  ScanResult r;
  scan_sql(sql, r);
  return f.fingerprint(sql, r);
}

TEST(Fingerprint, MatchesLibpgQueryAndIgnoresCommentsAndListLength) {
  Fingerprinter f;
  const auto a = fp(f, "SELECT * FROM users WHERE id = 5");
  const auto b = fp(f, "SELECT * FROM users WHERE id IN (1,2,3) /*request_id='x'*/");
  const auto c = fp(f, "SELECT * FROM users WHERE id = ANY($1)");
  EXPECT_EQ(fingerprint_hex(a->fingerprint), "a0ead580058af585");
  EXPECT_EQ(a->fingerprint, b->fingerprint);
  EXPECT_EQ(a->fingerprint, c->fingerprint);
  EXPECT_EQ(a->normalized, "SELECT * FROM users WHERE id = $1");
  EXPECT_EQ(a->key_column, "id");
  EXPECT_TRUE(a->parsed);
}

TEST(Fingerprint, RepeatedShapesAreServedFromTheCache) {
  Fingerprinter f;
  for (int i = 0; i < 100; ++i) {
    (void)fp(f, "SELECT name FROM users WHERE id = " + std::to_string(i) +
                    " /* n=" + std::to_string(i) + " */");
  }
  EXPECT_EQ(f.stats().misses, 1U);
  EXPECT_EQ(f.stats().hits, 99U);
}

TEST(Fingerprint, CacheIsBoundedInGenerations) {
  Fingerprinter f(10);
  for (int i = 0; i < 50; ++i)
    (void)fp(f, "SELECT c" + std::to_string(i) + " FROM t");
  EXPECT_LE(f.size(), 10U);
  EXPECT_GT(f.stats().evictions, 0U);
}

TEST(Fingerprint, UnparseableTextGetsAStableRedactedFingerprint) {
  Fingerprinter f;
  const auto a = fp(f, "SELEC name FROM users WHERE password = 'hunter2'");
  const auto b = fp(f, "SELEC name FROM users WHERE password = 'swordfish'");
  EXPECT_FALSE(a->parsed);
  EXPECT_EQ(a->fingerprint, b->fingerprint);
  EXPECT_EQ(a->normalized, "SELEC name FROM users WHERE password = $1");
  EXPECT_EQ(f.stats().parse_failures, 1U);
  EXPECT_EQ(fingerprint_uncached("SELEC name FROM users WHERE password = 'x'",
                                 [] {
                                   ScanResult r;
                                   scan_sql("SELEC name FROM users WHERE password = 'x'", r);
                                   return r;
                                 }())
                .fingerprint,
            a->fingerprint);
}

TEST(Fingerprint, NormalizedTextCarriesNoLiteral) {
  Fingerprinter f;
  const auto a = fp(f,
                    "SELECT 'top-secret'::text, interval '42 days' FROM t ORDER BY 7 LIMIT 9 -- "
                    "password hunter2");
  EXPECT_EQ(a->normalized.find("secret"), std::string::npos) << a->normalized;
  EXPECT_EQ(a->normalized.find("42"), std::string::npos) << a->normalized;
  EXPECT_EQ(a->normalized.find("7"), std::string::npos) << a->normalized;
  EXPECT_EQ(a->normalized.find("hunter2"), std::string::npos) << a->normalized;
  const auto ddl = fp(f, "CREATE USER bob PASSWORD 'hunter2'");
  EXPECT_EQ(ddl->normalized.find("hunter2"), std::string::npos) << ddl->normalized;
}

}  // namespace
}  // namespace pgtally::analyzer
