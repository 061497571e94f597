// ORM parts that need no server: SQL building, named replacements, sqlcommenter, text
// conversions, validations, DDL, the request scope and the query-shape helpers.
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "orm/database.hpp"
#include "orm/raw_query.hpp"
#include "orm/repository.hpp"
#include "orm/request_scope.hpp"
#include "orm/sync.hpp"
#include "orm/testing/query_count.hpp"
#include "tests/orm/models.hpp"

namespace pgtally::orm::test {
namespace {

using namespace std::chrono_literals;

// --- named replacements ---------------------------------------------------------------------

TEST(NamedReplacements, BecomeNumberedParametersAndRepeatTheirNumber) {
  const Statement st = compile_named(
      "SELECT * FROM users WHERE email = :email OR backup = :email "
      "AND age > :age",
      {{"email", "a@b.c"}, {"age", 30}});
  EXPECT_EQ(st.sql, "SELECT * FROM users WHERE email = $1 OR backup = $1 AND age > $2");
  ASSERT_EQ(st.params.size(), 2U);
  EXPECT_EQ(st.params[0], "a@b.c");
  EXPECT_EQ(st.params[1], "30");
}

TEST(NamedReplacements, LeaveCastsQuotesCommentsAndDollarQuotesAlone) {
  const Statement st = compile_named(
      "SELECT ':no'::text, \":col\", $$ :body $$, $t$:x$t$ -- :comment\n"
      "/* :block */ FROM t WHERE a = :a::int",
      {{"a", 1}});
  EXPECT_EQ(st.sql,
            "SELECT ':no'::text, \":col\", $$ :body $$, $t$:x$t$ -- :comment\n"
            "/* :block */ FROM t WHERE a = $1::int");
  EXPECT_EQ(st.params.size(), 1U);
}

TEST(NamedReplacements, MissingReplacementIsNamed) {
  try {
    (void)compile_named("SELECT :missing", {});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(":missing"), std::string::npos);
  }
}

TEST(NamedReplacements, NullAndTypedValuesBind) {
  const Statement st = compile_named(
      "SELECT :n, :d, :b",
      {{"n", std::nullopt},
       {"d", Date{std::chrono::year(2024), std::chrono::month(2), std::chrono::day(29)}},
       {"b", false}});
  EXPECT_FALSE(st.params[0].has_value());
  EXPECT_EQ(st.params[1], "2024-02-29");
  EXPECT_EQ(st.params[2], "false");
}

// --- sqlcommenter -----------------------------------------------------------------------------

TEST(Sqlcommenter, KeysSortedValuesUrlEncodedAndQuoted) {
  EXPECT_EQ(sqlcommenter_comment(
                {{"route", "/users/:id"}, {"request_id", "r 1"}, {"source", "app's.cpp:12"}}),
            "/*request_id='r%201',route='%2Fusers%2F%3Aid',source='app%27s.cpp%3A12'*/");
  EXPECT_EQ(sqlcommenter_comment({}), "");
}

TEST(RequestScope, NestsAndRestores) {
  EXPECT_EQ(RequestScope::current(), nullptr);
  {
    const RequestScope outer("r1", "/a");
    EXPECT_EQ(RequestScope::current()->request_id, "r1");
    EXPECT_TRUE(RequestScope::current()->source.starts_with("unit_test.cpp:"));
    {
      const RequestScope inner("r2");
      EXPECT_EQ(RequestScope::current()->request_id, "r2");
    }
    EXPECT_EQ(RequestScope::current()->request_id, "r1");
  }
  EXPECT_EQ(RequestScope::current(), nullptr);
}

TEST(RequestScope, DoesNotFollowWorkToAnotherThreadUnlessAdopted) {
  const RequestScope scope("r1", "/a");
  bool seen_plain = true;
  std::string seen_adopted;
  std::thread plain([&] { seen_plain = RequestScope::current() != nullptr; });
  plain.join();
  auto context = RequestScope::capture();
  std::thread adopted([&, context] {
    const RequestScope adopt(*context);
    seen_adopted = RequestScope::current()->request_id;
  });
  adopted.join();
  EXPECT_FALSE(seen_plain);
  EXPECT_EQ(seen_adopted, "r1");
}

// --- text conversions -------------------------------------------------------------------------

TEST(Types, TimestampsRoundTripAndOffsetsApply) {
  const Timestamp t = parse_timestamp("2024-03-01 12:34:56.789+00");
  EXPECT_EQ(format_timestamp(t), "2024-03-01 12:34:56.789000+00");
  EXPECT_EQ(parse_timestamp("2024-03-01 14:34:56.789+02"), t);
  EXPECT_EQ(parse_timestamp("2024-03-01 07:04:56.789-05:30"), t);
  EXPECT_THROW((void)parse_timestamp("yesterday"), UsageError);
}

TEST(Types, DatesIntsAndEnums) {
  EXPECT_EQ(format_date(parse_date("1999-12-31")), "1999-12-31");
  EXPECT_THROW((void)parse_date("2023-02-29"), UsageError);
  EXPECT_THROW((void)parse_int("99999999999", INT32_MIN, INT32_MAX), UsageError);
  const Type role = Type::enumeration({"member", "admin"});
  EXPECT_EQ(enum_index(role, "admin"), 1U);
  EXPECT_THROW((void)enum_index(role, "owner"), UsageError);
}

TEST(Types, ColumnTypeMustMatchTheField) {
  struct Bad {
    std::string name;
  };
  EXPECT_THROW(ModelSchema<Bad>("bad").column(&Bad::name, "name", Type::integer()), UsageError);
  EXPECT_THROW(
      ModelSchema<Bad>("bad").column(&Bad::name, "name", Type::text(), {.allow_null = true}),
      UsageError);
}

TEST(Types, UnderscoredMapsCamelCaseToSnakeCase) {
  EXPECT_EQ(to_snake_case("displayName"), "display_name");
  EXPECT_EQ(to_snake_case("externalId"), "external_id");
  EXPECT_EQ(User::schema().column_of(&User::loginCount).name, "login_count");
  EXPECT_EQ(User::schema().column_of(&User::createdAt).name, "created_at");
}

// --- where and find options -------------------------------------------------------------------

TEST(Where, EveryValueIsAParameter) {
  std::string sql;
  std::vector<Param> params;
  const Where w = op::eq(&User::email, "x' OR '1'='1") &&
                  (op::in(&User::age, {1, 2}) || !op::like(&User::displayName, "A%")) &&
                  op::between(&User::loginCount, 3, 9) && op::is_null(&User::bio) &&
                  op::eq(&User::role, Role::admin) && op::not_in(&User::id, {});
  w.render(sql, params);
  EXPECT_EQ(sql,
            "(\"email\" = $1 AND (\"age\" IN ($2, $3) OR NOT (\"display_name\" LIKE $4)) AND "
            "\"login_count\" BETWEEN $5 AND $6 AND \"bio\" IS NULL AND \"role\" = $7 AND TRUE)");
  ASSERT_EQ(params.size(), 7U);
  EXPECT_EQ(params[0], "x' OR '1'='1");
  EXPECT_EQ(params[6], "admin");
}

TEST(Where, OperatorsRenderTheirSql) {
  struct Case {
    Where where;
    const char* sql;
  };
  const Case cases[] = {
      {op::ne(&User::age, 1), "\"age\" <> $1"},
      {op::gt(&User::age, 1), "\"age\" > $1"},
      {op::gte(&User::age, 1), "\"age\" >= $1"},
      {op::lt(&User::age, 1), "\"age\" < $1"},
      {op::lte(&User::age, 1), "\"age\" <= $1"},
      {op::ilike(&User::email, "%@x"), "\"email\" ILIKE $1"},
      {op::is_not_null(&User::age), "\"age\" IS NOT NULL"},
      {op::in(&User::id, {}), "FALSE"},
      {op::or_(op::lt(&User::age, 1), op::gt(&User::age, 9)), "(\"age\" < $1 OR \"age\" > $2)"},
      {op::not_(op::eq(&User::active, true)), "NOT (\"active\" = $1)"},
  };
  for (const auto& c : cases) {
    std::string sql;
    std::vector<Param> params;
    c.where.render(sql, params);
    EXPECT_EQ(sql, c.sql);
  }
}

TEST(FindOptions, AttributesOrderLimitAndOffset) {
  const Statement st =
      Repository<User>::select({.where = op::gte(&User::age, 18),
                                .attributes = {attr(&User::id), attr(&User::email)},
                                .order = {desc(&User::age), asc(&User::id)},
                                .limit = 10,
                                .offset = 20});
  EXPECT_EQ(st.sql,
            "SELECT \"id\", \"email\" FROM \"users\" WHERE \"age\" >= $1 ORDER BY \"age\" DESC, "
            "\"id\" LIMIT $2 OFFSET $3");
  EXPECT_EQ(st.params, (std::vector<Param>{"18", "10", "20"}));
  const Statement excluded = Repository<Post>::select(
      {.exclude = {attr(&Post::rating), attr(&Post::status), attr(&Post::title)}});
  EXPECT_EQ(excluded.sql, "SELECT \"id\", \"user_id\" FROM \"posts\"");
}

// --- validations ----------------------------------------------------------------------------

TEST(Validation, OneErrorListsEveryFailingField) {
  User u;
  u.email = "not-an-email";
  u.displayName = "";
  u.age = -3;
  try {
    validate(u);
    FAIL() << "no error";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.code(), "PGT01");
    std::vector<std::string> got;
    for (const auto& f : e.failures())
      got.push_back(f.field + ":" + f.validator);
    EXPECT_EQ(got, (std::vector<std::string>{"email:isEmail", "displayName:notEmpty",
                                             "displayName:len", "age:min"}));
    EXPECT_NE(std::string(e.what()).find("must be an email address"), std::string::npos);
  }
}

TEST(Validation, Validators) {
  struct Case {
    Validator v;
    const char* value;
    bool ok;
  };
  const Case cases[] = {
      {not_empty(), "", false},
      {not_empty(), "x", true},
      {len(2, 3), "é", false},
      {len(2, 3), "éé", true},
      {len(2, 3), "abcd", false},
      {min(5), "4.9", false},
      {min(5), "5", true},
      {max(5), "6", false},
      {is_email(), "a@b.co", true},
      {is_email(), "a@b", false},
      {is_email(), "a b@c.d", false},
      {is_in({"x", "y"}), "y", true},
      {is_in({"x", "y"}), "z", false},
      {is_int(), "-12", true},
      {is_int(), "1.5", false},
      {custom(
           "even", [](std::string_view s) { return s == "2"; }, "odd"),
       "3", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(!c.v.check(c.value).has_value(), c.ok) << c.v.name << " on '" << c.value << "'";
  }
}

TEST(Validation, NullOnlyWhereAllowed) {
  struct Thing {
    std::optional<std::string> name;
    static const ModelSchema<Thing>& schema() {
      static const auto schema = ModelSchema<Thing>("things").column(
          &Thing::name, "name", Type::text(), {.allow_null = false});
      return schema;
    }
  };
  EXPECT_THROW(validate(Thing{}), ValidationError);
  EXPECT_NO_THROW(validate(Thing{"x"}));
}

// --- DDL ----------------------------------------------------------------------------------------

TEST(Sync, CreateTableReadsLikeTheModel) {
  const auto ddl = create_statements(Post::schema().info());
  ASSERT_EQ(ddl.size(), 1U);
  EXPECT_EQ(ddl[0],
            "CREATE TABLE IF NOT EXISTS \"posts\" (\n"
            "  \"id\" BIGSERIAL PRIMARY KEY,\n"
            "  \"user_id\" BIGINT NOT NULL CONSTRAINT \"posts_user_id_fkey\" REFERENCES \"users\" "
            "(\"id\") ON DELETE CASCADE,\n"
            "  \"title\" VARCHAR(200) NOT NULL CONSTRAINT \"posts_title_notEmpty\" CHECK "
            "(\"title\" <> ''),\n"
            "  \"status\" VARCHAR(20) NOT NULL CONSTRAINT \"posts_status_isIn\" CHECK "
            "(\"status\"::text IN ('draft', 'published')),\n"
            "  \"rating\" INTEGER\n"
            ")");
}

// --- configuration --------------------------------------------------------------------------

TEST(Config, RedactsThePasswordAndReadsTheProductionFlag) {
  const Config c = Config::from_url("postgres://app:s3cret@db.example:6432/shop");
  EXPECT_EQ(c.redacted().find("s3cret"), std::string::npos);
  EXPECT_NE(c.redacted().find("password=***"), std::string::npos);
  EXPECT_THROW((void)Config::from_url("postgres://[broken"), UsageError);
  ::setenv("PGTALLY_ENV", "production", 1);  // NOLINT(concurrency-mt-unsafe)
  EXPECT_TRUE(Config::from_url("postgres://x@y/z").production);
  ::unsetenv("PGTALLY_ENV");  // NOLINT(concurrency-mt-unsafe)
  EXPECT_FALSE(Config::from_url("postgres://x@y/z").production);
}

// --- query shapes and the provisional N+1 check ----------------------------------------------

TEST(QueryShapes, NormalizeLiteralsParametersCommentsAndLists) {
  EXPECT_EQ(testing::normalize_shape("SELECT * FROM t WHERE a = $1 AND b IN ($2, $3) "
                                     "/*request_id='x'*/"),
            "SELECT * FROM t WHERE a = ? AND b IN (...)");
  EXPECT_EQ(testing::normalize_shape("select  'it''s', 42, x1 from t;"), "select ?, ?, x1 from t");
}

testing::RecordedQuery lookup(std::uint64_t key) {
  return testing::RecordedQuery{"", "SELECT * FROM posts WHERE user_id = ?", {key}, {}, 1, false};
}

TEST(ProvisionalNPlusOne, FiveLookupsOfTwoOrMoreKeysIsAFinding) {
  const testing::ProvisionalNPlusOneDetector detector;
  EXPECT_EQ(detector.detect({lookup(1), lookup(2), lookup(3), lookup(4), lookup(5)}).size(), 1U);
  EXPECT_TRUE(detector.detect({lookup(1), lookup(2), lookup(3), lookup(4)}).empty());
  EXPECT_TRUE(detector.detect({lookup(7), lookup(7), lookup(7), lookup(7), lookup(7)}).empty());
}

}  // namespace
}  // namespace pgtally::orm::test
