#include "analyzer/literal_scanner.hpp"

#include <string>

#include <gtest/gtest.h>

namespace pgtally::analyzer {
namespace {

ScanResult scan(const std::string& sql) {
  ScanResult r;
  scan_sql(sql, r);
  return r;
}

TEST(LiteralScanner, ShapeIgnoresLiteralsCommentsAndWhitespace) {
  const auto a = scan("SELECT * FROM users WHERE id = 5 AND name = 'bob'");
  const auto b = scan("SELECT  *  FROM users\nWHERE id = 123456 AND name = 'alice' /* c */");
  const auto c = scan("SELECT * FROM users WHERE id = 5 AND email = 'bob'");
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_NE(a.shape, c.shape);
}

TEST(LiteralScanner, ShapeIgnoresInListLengthButCountsElements) {
  const auto a = scan("SELECT * FROM t WHERE id IN (1, 2, 3)");
  const auto b = scan("SELECT * FROM t WHERE id IN (7)");
  EXPECT_EQ(a.shape, b.shape);
  ASSERT_EQ(a.lists.size(), 1U);
  EXPECT_EQ(a.lists[0].elements, 3U);
  EXPECT_EQ(b.lists[0].elements, 1U);
  EXPECT_EQ(a.literals.size(), 3U);
  EXPECT_EQ(a.literals[0].context, ValueContext::list);
  const auto sub = scan("SELECT * FROM t WHERE id IN (SELECT id FROM u)");
  EXPECT_TRUE(sub.lists.empty());
}

TEST(LiteralScanner, ClassifiesValueContexts) {
  const auto r = scan(
      "SELECT a, 'x' FROM t WHERE id = $1 AND b > 4 AND c = ANY($2) ORDER BY a LIMIT 10 OFFSET $3");
  ASSERT_EQ(r.literals.size(), 6U);
  EXPECT_EQ(r.literals[0].context, ValueContext::other);     // 'x'
  EXPECT_EQ(r.literals[1].context, ValueContext::equality);  // $1
  EXPECT_EQ(r.literals[1].parameter, 1);
  EXPECT_EQ(r.literals[2].context, ValueContext::other);  // 4
  EXPECT_EQ(r.literals[3].context, ValueContext::any_array);
  EXPECT_EQ(r.literals[4].context, ValueContext::paging);  // LIMIT 10
  EXPECT_EQ(r.literals[5].context, ValueContext::paging);  // OFFSET $3
  EXPECT_EQ(r.max_parameter, 3);
  EXPECT_EQ(r.kind, StatementKind::select);
}

TEST(LiteralScanner, UpdateSetClauseIsNotALookupKey) {
  const auto r = scan("UPDATE users SET name = 'x' WHERE id = 3");
  ASSERT_EQ(r.literals.size(), 2U);
  EXPECT_EQ(r.literals[0].context, ValueContext::other);
  EXPECT_EQ(r.literals[1].context, ValueContext::equality);
  EXPECT_EQ(std::string("UPDATE users SET name = 'x' WHERE id = 3")
                .substr(r.key_column.offset, r.key_column.length),
            "id");
}

TEST(LiteralScanner, StatementKinds) {
  EXPECT_EQ(scan("begin").kind, StatementKind::begin);
  EXPECT_EQ(scan("START TRANSACTION ISOLATION LEVEL SERIALIZABLE").kind, StatementKind::begin);
  EXPECT_EQ(scan("COMMIT").kind, StatementKind::commit);
  EXPECT_EQ(scan("ROLLBACK").kind, StatementKind::rollback);
  EXPECT_EQ(scan("ROLLBACK TO SAVEPOINT s1").kind, StatementKind::savepoint);
  EXPECT_EQ(scan("SET LOCAL statement_timeout = 5").kind, StatementKind::set);
  EXPECT_EQ(scan("WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)").kind,
            StatementKind::delete_);
  EXPECT_EQ(scan("WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x").kind,
            StatementKind::select);
  EXPECT_EQ(scan("/* hi */ (SELECT 1)").kind, StatementKind::select);
  EXPECT_EQ(scan("INSERT INTO t VALUES (1), (2), (3) ON CONFLICT DO NOTHING").values_rows, 3U);
}

TEST(LiteralScanner, RedactsEveryKindOfLiteral) {
  const std::string sql =
      "SELECT 'secret', E'sec\\'ret', $$secret$$, $tag$se$cret$tag$, B'1010', X'ff', 3.14e-2, "
      "U&'secret' FROM t WHERE a = $1 AND b = -42 -- secret comment\n/* secret */";
  const auto r = scan(sql);
  const std::string red = redact(sql, r);
  EXPECT_EQ(red.find("secret"), std::string::npos) << red;
  EXPECT_EQ(red.find("42"), std::string::npos) << red;
  EXPECT_EQ(red.find("3.14"), std::string::npos) << red;
  EXPECT_EQ(red, "SELECT $2, $3, $4, $5, $6, $7, $8, $9 FROM t WHERE a = $1 AND b = $10");
}

TEST(LiteralScanner, UnterminatedQuoteRedactsToTheEnd) {
  const std::string sql = "SELEC * FROM t WHERE a = 'secret and more";
  const auto r = scan(sql);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(redact(sql, r), "SELEC * FROM t WHERE a = $1");
}

TEST(LiteralScanner, LiteralTextIsTheCanonicalValue) {
  const std::string sql = "SELECT 'it''s', E'a\\nb', $q$x'y$q$, -7";
  const auto r = scan(sql);
  ASSERT_EQ(r.literals.size(), 4U);
  EXPECT_EQ(literal_text(sql, r.literals[0]), "it's");
  EXPECT_EQ(literal_text(sql, r.literals[1]), "a\nb");
  EXPECT_EQ(literal_text(sql, r.literals[2]), "x'y");
  EXPECT_EQ(literal_text(sql, r.literals[3]), "-7");
}

TEST(LiteralScanner, LiftsLiteralsAsParameters) {
  const ValueHasher h({1, 2});
  const std::string sql = "SELECT * FROM t WHERE id = 5 AND tag = ANY('{a, \"b c\", d}')";
  const auto r = scan(sql);
  std::vector<Parameter> params;
  lift_literals(sql, r, h, params);
  ASSERT_EQ(params.size(), 2U);
  EXPECT_EQ(params[0].hash, h.hash_text("5"));
  EXPECT_EQ(params[1].array_length, 3);
  ASSERT_EQ(params[1].elements.size(), 3U);
  EXPECT_EQ(params[1].elements[1], h.hash_text("b c"));
}

TEST(LiteralScanner, FindsTheTrailingComment) {
  const std::string tagged = "SELECT 1 /* a */ FROM t /*request_id='x'*/ ;  ";
  const auto r = scan(tagged);
  EXPECT_EQ(trailing_comment(tagged, r), 1);
  const std::string inner = "SELECT /*request_id='x'*/ 1";
  EXPECT_EQ(trailing_comment(inner, scan(inner)), -1);
  const std::string dashes = "SELECT 1 -- request_id='x'";
  EXPECT_EQ(trailing_comment(dashes, scan(dashes)), -1);
}

TEST(LiteralScanner, NestedCommentsAndQuotedIdentifiers) {
  const std::string sql = "SELECT \"we'ird\" /* outer /* inner */ still */ FROM t WHERE x = 'a'";
  const auto r = scan(sql);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.comments.size(), 1U);
  EXPECT_EQ(r.literals.size(), 1U);
  EXPECT_EQ(redact(sql, r), "SELECT \"we'ird\" FROM t WHERE x = $1");
}

}  // namespace
}  // namespace pgtally::analyzer

namespace pgtally::analyzer {
namespace {

TEST(LiteralScanner, RedactionNeverGluesPlaceholdersToNeighbours) {
  // An unterminated quoted identifier would swallow the literals after it: it is redacted whole.
  const std::string open_ident = "SELECT \"abc, 'secret' FROM t";
  EXPECT_EQ(redact(open_ident, scan(open_ident)), "SELECT $1");
  // `$` + `$1` must not become a dollar quote, nor `a` + `$1` an identifier.
  const std::string glued = "SELECT $'x', a'y'b";
  const std::string red = redact(glued, scan(glued));
  EXPECT_EQ(red, "SELECT $ $1, a $2 b");
}

}  // namespace
}  // namespace pgtally::analyzer
