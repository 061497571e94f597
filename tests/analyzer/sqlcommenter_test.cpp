#include "analyzer/sqlcommenter.hpp"

#include <string>

#include <gtest/gtest.h>

namespace pgtally::analyzer {
namespace {

Tags tags_of(const std::string& sql) {
  ScanResult r;
  scan_sql(sql, r);
  return sqlcommenter_tags(sql, r);
}

TEST(Sqlcommenter, ParsesTheSpecExample) {
  const auto tags = tags_of(
      "SELECT * FROM FOO /*action='%2Fparam*d',controller='index',framework='spring',"
      "traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01',"
      "tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/");
  ASSERT_EQ(tags.size(), 5U);
  EXPECT_EQ(tags[0], (std::pair<std::string, std::string>{"action", "/param*d"}));
  EXPECT_EQ(tags[4].second, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  const RequestTags rt = interpret_tags(tags);
  EXPECT_EQ(rt.request_id, "5bd66ef5095369c7b0d1f8f4bd33716a");
  EXPECT_EQ(rt.controller, "index");
  EXPECT_EQ(rt.action, "/param*d");
}

TEST(Sqlcommenter, UnescapesMetaCharactersAndUrlEncodedKeys) {
  const auto tags = parse_sqlcommenter("route%20parameter='FOO%20\\'BAR', a='x,y=z'");
  ASSERT_TRUE(tags.has_value());
  ASSERT_EQ(tags->size(), 2U);
  EXPECT_EQ((*tags)[0].first, "route parameter");
  EXPECT_EQ((*tags)[0].second, "FOO 'BAR");
  EXPECT_EQ((*tags)[1].second, "x,y=z");
}

TEST(Sqlcommenter, RequestIdWinsOverTraceparent) {
  const RequestTags rt =
      interpret_tags({{"traceparent", "00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01"},
                      {"request_id", "abc"},
                      {"db_pool_wait_ms", "12.5"}});
  EXPECT_EQ(rt.request_id, "abc");
  ASSERT_TRUE(rt.pool_wait.has_value());
  EXPECT_EQ(rt.pool_wait->count(), 12500);
}

TEST(Sqlcommenter, MalformedCommentsAreIgnored) {
  for (const char* body : {"", "just a comment", "a=", "a='x", "a='x',", "='x'", "a=x", "a='%zz'",
                           "a='x' b='y'", "a='x\\'"}) {
    EXPECT_FALSE(parse_sqlcommenter(body).has_value()) << body;
  }
  EXPECT_TRUE(tags_of("SELECT 1 /* unterminated request_id='x'").empty());
  EXPECT_TRUE(tags_of("SELECT 1 /*request_id='x'*/ FROM t").empty());  // not trailing
  const RequestTags bad =
      interpret_tags({{"traceparent", "00-00000000000000000000000000000000-c532cb4098ac3dd2-01"},
                      {"db_pool_wait_ms", "soon"}});
  EXPECT_TRUE(bad.request_id.empty());
  EXPECT_FALSE(bad.pool_wait.has_value());
}

TEST(Sqlcommenter, TraceparentValidation) {
  EXPECT_EQ(trace_id_from_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"), "");
  EXPECT_EQ(trace_id_from_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "");
  EXPECT_EQ(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01"),
            "");
}

}  // namespace
}  // namespace pgtally::analyzer
