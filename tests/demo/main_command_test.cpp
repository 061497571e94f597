// The README's main command, `bash deploy/demo.sh --once`, on this build tree's programs: a
// throwaway PostgreSQL, pgtally, the storefront's migrations, service and load. What it prints
// must name both lazy routes as N+1 with their parent queries, stay silent on the routes done
// right, report the pool traps, and say where the metrics, the page and the API are.
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

// The demo's report, split into its sections ("Queries per request...", "N+1 findings (2):").
std::map<std::string, std::vector<std::string>> sections(const std::string& output) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream in(output);
  std::string current;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) {
      current.clear();
    } else if (line[0] != ' ' && line.back() == ':') {
      current = line.substr(0, line.size() - 1);
      current = current.substr(0, current.find(" ("));
      out[current];
    } else if (!current.empty()) {
      out[current].push_back(line);
    }
  }
  return out;
}

// One N+1 finding of the report: its heading and its detail lines, joined with the wrapping
// undone (continuation lines are indented).
struct NPlusOne {
  std::string route;
  std::string text;
};

std::vector<NPlusOne> n_plus_one_findings(const std::vector<std::string>& lines) {
  static const std::regex heading(R"(^  \[\w+\] route (\S+): .*)");
  std::vector<NPlusOne> out;
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_match(line, m, heading)) {
      out.push_back({m[1], line});
    } else if (!out.empty()) {
      const auto text = line.find_first_not_of(' ');
      const bool continuation = text >= 14;  // under the detail's text, not a new "label:"
      out.back().text += (continuation ? " " : "\n") + line.substr(text);
    }
  }
  return out;
}

TEST(MainCommand, FindsBothLazyRoutesWithParentsThePoolTrapsAndNothingOnTheRightRoutes) {
  ProcessOptions options;
  options.deadline = std::chrono::minutes(5);
  options.env = {{"PGTALLY_DEMO_PREBUILT", PGTALLY_BUILD_DIR}};
  const auto result =
      run_process({"bash", std::string(PGTALLY_SOURCE_DIR) + "/deploy/demo.sh", "--once"}, options);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto report = sections(result.output);
  const std::string& out = result.output;

  // Routes: the lazy pages have findings, the pages done right have none.
  ASSERT_TRUE(report.count("Queries per request, by route")) << out;
  static const std::regex row(R"(^  (\S+)\s+(\d+)\s+(\d+)\s+(\d+)  (.+)$)");
  std::map<std::string, std::string> findings_by_route;
  std::map<std::string, int> median_queries;
  for (const auto& line : report.at("Queries per request, by route")) {
    std::smatch m;
    if (std::regex_match(line, m, row)) {
      findings_by_route[m[1]] = m[5];
      median_queries[m[1]] = std::stoi(m[3]);
    }
  }
  for (const char* lazy : {"/products", "/categories"}) {
    ASSERT_TRUE(findings_by_route.count(lazy)) << lazy << "\n" << out;
    EXPECT_NE(findings_by_route[lazy].find("n_plus_one"), std::string::npos) << lazy << "\n" << out;
  }
  for (const char* right :
       {"/products-eager", "/categories-eager", "/users/{id}/orders", "/search"}) {
    ASSERT_TRUE(findings_by_route.count(right)) << right << "\n" << out;
    EXPECT_EQ(findings_by_route[right], "-") << right << "\n" << out;
  }
  EXPECT_GT(median_queries["/products"], 20) << out;
  EXPECT_LE(median_queries["/products-eager"], 2) << out;

  // Each N+1 with its route, its parent query and a fix; none on the routes done right.
  ASSERT_TRUE(report.count("N+1 findings")) << out;
  const auto n_plus_one = n_plus_one_findings(report.at("N+1 findings"));
  std::map<std::string, std::vector<std::string>> by_route;
  for (const auto& f : n_plus_one) {
    by_route[f.route].push_back(f.text);
    EXPECT_TRUE(f.route == "/products" || f.route == "/categories") << f.text;
    EXPECT_EQ(f.text.find("(none linked)"), std::string::npos) << f.text;
    EXPECT_NE(f.text.find("fix:"), std::string::npos) << f.text;
    EXPECT_NE(f.text.find("= ANY($1)"), std::string::npos) << f.text;
  }
  ASSERT_EQ(by_route["/products"].size(), 1U) << out;
  EXPECT_NE(by_route["/products"][0].find(R"(parent:   SELECT "id", "category_id")"),
            std::string::npos)
      << by_route["/products"][0];
  EXPECT_NE(by_route["/products"][0].find(R"(FROM "categories" AS "category")"), std::string::npos)
      << by_route["/products"][0];
  // The nested loop: products per category, then reviews per product.
  ASSERT_EQ(by_route["/categories"].size(), 2U) << out;
  bool products_under_categories = false;
  bool reviews_under_products = false;
  for (const auto& text : by_route["/categories"]) {
    products_under_categories =
        products_under_categories ||
        (text.find(R"(FROM "products")") < text.find("parent:") &&
         text.find(R"(FROM "categories")", text.find("parent:")) != std::string::npos);
    reviews_under_products =
        reviews_under_products ||
        (text.find(R"(FROM "reviews")") < text.find("parent:") &&
         text.find(R"(FROM "products")", text.find("parent:")) != std::string::npos);
  }
  EXPECT_TRUE(products_under_categories) << out;
  EXPECT_TRUE(reviews_under_products) << out;

  // The pool traps: a queue for the small pool, the slow checkout, the report's second
  // connection.
  ASSERT_TRUE(report.count("Pool findings")) << out;
  std::string pool;
  for (const auto& line : report.at("Pool findings"))
    pool += line + "\n";
  for (const char* kind :
       {"] pool_saturation for ", "] idle_in_transaction for ", "] nested_connection for "}) {
    EXPECT_NE(pool.find(kind), std::string::npos) << kind << "\n" << out;
  }
  EXPECT_NE(pool.find("demo-slow-checkout-"), std::string::npos) << pool;
  EXPECT_NE(pool.find("demo-report-"), std::string::npos) << pool;

  // Where to look, and a clean end.
  ASSERT_TRUE(report.count("Where to look")) << out;
  std::string where;
  for (const auto& line : report.at("Where to look"))
    where += line + "\n";
  for (const char* what : {"/metrics", "page:", "/api/findings", "postgres://", "pgtally expect"})
    EXPECT_NE(where.find(what), std::string::npos) << what << "\n" << out;
  EXPECT_NE(out.find("errors=0"), std::string::npos) << out;
  EXPECT_NE(out.find("pgtally demo: done (--once)."), std::string::npos) << out;
}

}  // namespace
}  // namespace pgtally::testing
