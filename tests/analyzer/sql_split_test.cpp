#include "analyzer/sql_split.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pgtally {
namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  for (const auto s : split_statements(text))
    out.emplace_back(s);
  return out;
}

TEST(SplitStatements, AtTopLevelSemicolonsOnly) {
  EXPECT_EQ(split("SELECT 1; SELECT 2"), (std::vector<std::string>{"SELECT 1", " SELECT 2"}));
  EXPECT_EQ(split("SELECT ';'; SELECT \"a;b\""),
            (std::vector<std::string>{"SELECT ';'", " SELECT \"a;b\""}));
  EXPECT_EQ(split("SELECT 'it''s;'"), (std::vector<std::string>{"SELECT 'it''s;'"}));
  EXPECT_EQ(split("SELECT E'\\';'; SELECT 2"),
            (std::vector<std::string>{"SELECT E'\\';'", " SELECT 2"}));
  EXPECT_EQ(split("SELECT $$a;b$$; SELECT $x$;$x$"),
            (std::vector<std::string>{"SELECT $$a;b$$", " SELECT $x$;$x$"}));
  EXPECT_EQ(split("SELECT $1; SELECT 2"), (std::vector<std::string>{"SELECT $1", " SELECT 2"}));
  EXPECT_EQ(
      split("SELECT 1 -- a; comment\n; SELECT /* x; /* nested; */ ; */ 2"),
      (std::vector<std::string>{"SELECT 1 -- a; comment\n", " SELECT /* x; /* nested; */ ; */ 2"}));
}

TEST(SplitStatements, DropsEmptyStatementsAndKeepsATrailingTagWithItsStatement) {
  EXPECT_EQ(split(";;SELECT 1;;"), (std::vector<std::string>{"SELECT 1"}));
  EXPECT_EQ(split("SELECT 1; /*request_id='r1'*/"),
            (std::vector<std::string>{"SELECT 1; /*request_id='r1'*/"}));
  EXPECT_TRUE(split("").empty());
  EXPECT_TRUE(split("  -- nothing\n").empty());
}

TEST(SplitStatements, UnterminatedQuotesRunToTheEnd) {
  EXPECT_EQ(split("SELECT 'open; SELECT 2"), (std::vector<std::string>{"SELECT 'open; SELECT 2"}));
  EXPECT_EQ(split("SELECT $$open; x"), (std::vector<std::string>{"SELECT $$open; x"}));
}

}  // namespace
}  // namespace pgtally
