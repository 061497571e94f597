// The demo's report over hand-built snapshots: routes with their query counts and findings,
// each N+1 with its parent and fix, each pool finding with its evidence, wrapped text.
#include "proxy/demo_report.hpp"

#include <gtest/gtest.h>

namespace pgtally {
namespace {

using analyzer::FindingGroup;
using analyzer::FindingKind;
using analyzer::RequestSummary;

RequestSummary request(const std::string& id, const std::string& route, std::uint64_t queries) {
  RequestSummary r;
  r.id = id;
  r.route = route;
  r.queries = queries;
  r.finished = true;
  return r;
}

FindingGroup group(FindingKind kind, const std::string& route) {
  FindingGroup g;
  g.latest.kind = kind;
  g.latest.route = route;
  g.severity = analyzer::Severity::high;
  g.occurrences = 2;
  g.example_requests = {"r1", "r3"};
  return g;
}

TEST(DemoReport, RoutesTableCountsRequestsQueriesAndNamesTheirFindings) {
  const std::vector<RequestSummary> requests = {
      request("r1", "/lazy", 21), request("r2", "/lazy", 23), request("r3", "/lazy", 21),
      request("r4", "/eager", 1)};
  auto lazy = group(FindingKind::n_plus_one, "/lazy");
  lazy.latest.normalized = "SELECT name FROM categories WHERE id = $1";
  lazy.latest.parent_normalized = "SELECT id, category_id FROM products";
  lazy.latest.fix = "Load them in one query with WHERE id = ANY($1).";
  lazy.latest.count = 20;
  const std::string text = format_demo_report(requests, {lazy});
  EXPECT_NE(text.find("Queries per request, by route (4 requests):"), std::string::npos) << text;
  EXPECT_NE(text.find("  /lazy                               3     21     23  n_plus_one\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  /eager                              1      1      1  -\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("N+1 findings (1):\n  [high] route /lazy: 20 executions"), std::string::npos)
      << text;
  EXPECT_NE(text.find("    parent:   SELECT id, category_id FROM products\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("    fix:      Load them in one query"), std::string::npos) << text;
  EXPECT_NE(text.find("    requests: r1, r3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Pool findings (0):"), std::string::npos) << text;
  EXPECT_EQ(text.find("Other findings"), std::string::npos) << text;
}

TEST(DemoReport, PoolFindingsShowTheirGroupEvidenceAndFixOthersGetTheirOwnSection) {
  auto idle = group(FindingKind::idle_in_transaction, "");
  idle.latest.group = "app@shop/web@127.0.0.1";
  idle.latest.evidence = {{"idle_ms", 2500}, {"reported_by", "wire"}};
  idle.latest.fix = "Commit before slow work.";
  auto repeated = group(FindingKind::repeated_query, "/x");
  repeated.latest.normalized = "SELECT 1";
  const std::string text = format_demo_report({}, {repeated, idle});
  EXPECT_NE(text.find("Pool findings (1):\n  [high] idle_in_transaction for "
                      "app@shop/web@127.0.0.1 (2 times)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    evidence: idle_ms=2500, reported_by=wire\n"), std::string::npos) << text;
  EXPECT_NE(text.find("N+1 findings (0):"), std::string::npos) << text;
  EXPECT_NE(text.find("Other findings (1):\n  [high] repeated_query on route /x"),
            std::string::npos)
      << text;
}

TEST(DemoReport, WrapTextBreaksAtSpacesAndIndentsContinuations) {
  EXPECT_EQ(wrap_text("aaa bbb ccc", 7, "  "), "aaa bbb\n  ccc");
  EXPECT_EQ(wrap_text("a-very-long-word b", 4, ">"), "a-very-long-word\n>b");
  EXPECT_EQ(wrap_text("", 10, ">"), "");
}

}  // namespace
}  // namespace pgtally
