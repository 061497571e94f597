// Models against a real PostgreSQL: CRUD, where operators, find options, validations, errors
// mapped from SQLSTATE, raw queries and sync.
#include <gtest/gtest.h>

#include "orm/raw_query.hpp"
#include "orm/repository.hpp"
#include "orm/sync.hpp"
#include "orm/testing/query_count.hpp"
#include "tests/orm/fixture.hpp"

namespace pgtally::orm::test {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

using ModelCrud = OrmTest;

TEST_F(ModelCrud, CreateReturnsGeneratedKeyDefaultsAndTimestamps) {
  Repository<User> users(*db);
  const auto before = std::chrono::system_clock::now() - std::chrono::minutes(5);
  const User ada = users.create(user("ada@example.com", 36));
  EXPECT_GT(ada.id, 0);
  EXPECT_EQ(ada.role, Role::member);
  EXPECT_EQ(ada.balance, Numeric{"0.00"});
  EXPECT_EQ(ada.loginCount, 0);
  EXPECT_GT(ada.createdAt, before);
  EXPECT_EQ(ada.createdAt, ada.updatedAt);
  EXPECT_TRUE(ada.adult());
}

TEST_F(ModelCrud, EveryAttributeTypeRoundTrips) {
  Repository<User> users(*db);
  User u = user("types@example.com", 41);
  u.role = Role::admin;
  u.active = false;
  u.bio = "line one\nO'Brien \"quoted\" \\ backslash";
  u.birthday = Date{year(1984), month(2), day(29)};
  u.balance = Numeric{"1234.56"};
  u.externalId = Uuid{"0e8a9a4c-5b0f-4c9e-9d2a-3f1e6b7c8d90"};
  u.settings = Json{{"theme", "dark"}, {"sizes", {1, 2, 3}}};
  const User created = users.create(u);
  const auto found = users.find_by_pk(created.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->email, u.email);
  EXPECT_EQ(found->age, 41);
  EXPECT_EQ(found->role, Role::admin);
  EXPECT_FALSE(found->active);
  EXPECT_EQ(found->bio, u.bio);
  EXPECT_EQ(found->birthday, u.birthday);
  EXPECT_EQ(found->balance, u.balance);
  EXPECT_EQ(found->externalId, u.externalId);
  EXPECT_EQ(found->settings, u.settings);
  EXPECT_EQ(found->createdAt, created.createdAt);
  EXPECT_FALSE(users.find_by_pk(created.id + 1000).has_value());
}

TEST_F(ModelCrud, InvalidValueThrowsOneValidationErrorBeforeAnySql) {
  Repository<User> users(*db);
  User bad = user("nope", -4);
  bad.displayName = "";
  const testing::QueryRecorder recorder(*db);
  try {
    users.create(bad);
    FAIL() << "no error";
  } catch (const ValidationError& e) {
    ASSERT_EQ(e.failures().size(), 4U) << e.what();
    EXPECT_EQ(e.failures()[0].field, "email");
    EXPECT_EQ(e.failures()[3].field, "age");
  }
  EXPECT_EQ(recorder.count(), 0U);
}

TEST_F(ModelCrud, UniqueViolationNamesTheConstraintAndColumnButNotTheValue) {
  Repository<User> users(*db);
  users.create(user("twice@example.com"));
  try {
    users.create(user("twice@example.com"));
    FAIL() << "no error";
  } catch (const UniqueConstraintError& e) {
    EXPECT_EQ(e.code(), "23505");
    EXPECT_EQ(e.constraint(), "users_email_key");
    EXPECT_EQ(e.table(), "users");
    EXPECT_EQ(e.columns(), std::vector<std::string>{"email"});
    EXPECT_EQ(std::string(e.what()).find("twice@"), std::string::npos) << e.what();
  }
}

TEST_F(ModelCrud, ForeignKeyCheckAndNotNullViolationsAreMapped) {
  Repository<Post> posts(*db);
  Post orphan;
  orphan.userId = 424242;
  orphan.title = "Lost";
  try {
    posts.create(orphan);
    FAIL() << "no error";
  } catch (const ForeignKeyConstraintError& e) {
    EXPECT_EQ(e.constraint(), "posts_user_id_fkey");
    EXPECT_EQ(e.columns(), std::vector<std::string>{"user_id"});
  }
  // The database enforces the validators too (sync made them CHECK constraints).
  EXPECT_THROW(query(*db,
                     "INSERT INTO users (email, display_name, age, settings, created_at, "
                     "updated_at) VALUES (:e, 'Ed', -5, '{}', now(), now())",
                     {{"e", "ed@example.com"}}),
               CheckConstraintError);
  try {
    query(*db, "INSERT INTO users (email) VALUES (:e)", {{"e", "nn@example.com"}});
    FAIL() << "no error";
  } catch (const NotNullConstraintError& e) {
    EXPECT_EQ(e.code(), "23502");
    EXPECT_EQ(e.columns(), std::vector<std::string>{"display_name"});
  }
}

class ModelQueries : public OrmTest {
 protected:
  void SetUp() override {
    OrmTest::SetUp();
    Repository<User> users(*db);
    std::vector<User> seed;
    const std::pair<const char*, std::optional<std::int32_t>> rows[] = {
        {"ann@a.io", 15}, {"bob@b.io", 22}, {"cid@a.io", 37}, {"dee@B.io", 64}, {"eve@c.io", {}}};
    for (const auto& [email, age] : rows)
      seed.push_back(user(email, age));
    seed[1].role = Role::admin;
    users.bulk_create(seed);
  }

  std::vector<std::string> emails(const FindOptions& options) {
    std::vector<std::string> out;
    auto copy = options;
    copy.order = {asc(&User::email)};
    for (const auto& u : Repository<User>(*db).find_all(copy))
      out.push_back(u.email);
    return out;
  }
};

TEST_F(ModelQueries, WhereOperators) {
  using V = std::vector<std::string>;
  struct Case {
    const char* name;
    Where where;
    V expected;
  };
  const Case cases[] = {
      {"eq", op::eq(&User::email, "bob@b.io"), V{"bob@b.io"}},
      {"ne", op::ne(&User::age, 22), V{"ann@a.io", "cid@a.io", "dee@B.io"}},
      {"gt", op::gt(&User::age, 37), V{"dee@B.io"}},
      {"gte", op::gte(&User::age, 37), V{"cid@a.io", "dee@B.io"}},
      {"lt", op::lt(&User::age, 22), V{"ann@a.io"}},
      {"lte", op::lte(&User::age, 22), V{"ann@a.io", "bob@b.io"}},
      {"in", op::in(&User::age, {15, 64}), V{"ann@a.io", "dee@B.io"}},
      {"notIn", op::not_in(&User::age, {15, 64}), V{"bob@b.io", "cid@a.io"}},
      {"like", op::like(&User::email, "%@a.io"), V{"ann@a.io", "cid@a.io"}},
      {"iLike", op::ilike(&User::email, "%@b.io"), V{"bob@b.io", "dee@B.io"}},
      {"between", op::between(&User::age, 20, 40), V{"bob@b.io", "cid@a.io"}},
      {"isNull", op::is_null(&User::age), V{"eve@c.io"}},
      {"enum", op::eq(&User::role, Role::admin), V{"bob@b.io"}},
      {"and", op::gt(&User::age, 14) && op::like(&User::email, "%@a.io"),
       V{"ann@a.io", "cid@a.io"}},
      {"or", op::or_(op::lt(&User::age, 16), op::gt(&User::age, 60)), V{"ann@a.io", "dee@B.io"}},
      {"not", op::not_(op::like(&User::email, "%.io")), V{}},
      {"injection stays a value", op::eq(&User::email, "x' OR '1'='1"), V{}},
  };
  for (const auto& c : cases)
    EXPECT_EQ(emails({.where = c.where}), c.expected) << c.name;
}

TEST_F(ModelQueries, AttributesOrderLimitOffsetAndCount) {
  Repository<User> users(*db);
  const auto page = users.find_all({.attributes = {attr(&User::id), attr(&User::email)},
                                    .order = {desc(&User::email)},
                                    .limit = 2,
                                    .offset = 1});
  ASSERT_EQ(page.size(), 2U);
  EXPECT_EQ(page[0].email, "dee@B.io");
  EXPECT_EQ(page[1].email, "cid@a.io");
  EXPECT_TRUE(page[0].displayName.empty());  // not selected
  const auto one = users.find_one(
      {.where = op::eq(&User::email, "ann@a.io"), .exclude = {attr(&User::settings)}});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->age, 15);
  EXPECT_EQ(users.count(), 5);
  EXPECT_EQ(users.count(op::is_not_null(&User::age)), 4);
}

TEST_F(ModelQueries, SaveUpdateIncrementAndDestroy) {
  Repository<User> users(*db);
  User ann = *users.find_one({.where = op::eq(&User::email, "ann@a.io")});
  ann.displayName = "Annie";
  const auto stamped = ann.updatedAt;
  users.save(ann);
  EXPECT_EQ(users.find_by_pk(ann.id)->displayName, "Annie");
  EXPECT_GE(ann.updatedAt, stamped);

  EXPECT_EQ(users.update({set(&User::active, false)}, op::like(&User::email, "%@a.io")), 2U);
  EXPECT_EQ(users.count(op::eq(&User::active, false)), 2);
  EXPECT_THROW(users.update({set(&User::age, -1)}, op::eq(&User::id, ann.id)), ValidationError);

  users.increment(ann, &User::loginCount, 3);
  EXPECT_EQ(ann.loginCount, 3);
  users.decrement(ann, &User::loginCount);
  EXPECT_EQ(ann.loginCount, 2);
  EXPECT_EQ(users.increment(&User::loginCount, 10, op::gte(&User::age, 30)), 2U);
  EXPECT_EQ(users.find_one({.where = op::eq(&User::email, "dee@B.io")})->loginCount, 10);

  users.destroy(ann);
  EXPECT_FALSE(users.find_by_pk(ann.id).has_value());
  EXPECT_EQ(users.destroy(op::is_null(&User::age)), 1U);
  EXPECT_THROW(users.destroy(Where{}), UsageError);
  EXPECT_EQ(users.count(), 3);
  EXPECT_EQ(users.destroy_all(), 3U);
}

TEST_F(ModelCrud, BulkCreateIsOneStatementAndValidatesEveryRowFirst) {
  Repository<User> users(*db);
  std::vector<User> three{user("a@x.io"), user("b@x.io"), user("c@x.io")};
  std::vector<User> stored;
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { stored = users.bulk_create(three); }));
  ASSERT_EQ(stored.size(), 3U);
  EXPECT_LT(stored[0].id, stored[2].id);

  std::vector<User> mixed{user("ok@x.io"), user("broken"), user("fine@x.io", 200)};
  try {
    users.bulk_create(mixed);
    FAIL() << "no error";
  } catch (const ValidationError& e) {
    ASSERT_EQ(e.failures().size(), 2U);
    EXPECT_EQ(e.failures()[0].field, "[1].email");
    EXPECT_EQ(e.failures()[1].field, "[2].age");
  }
  EXPECT_EQ(users.count(), 3);
}

TEST_F(ModelQueries, RawQueriesBindReplacementsAndMapRows) {
  const Records rows = query(*db,
                             "SELECT id, email, age, created_at::date AS day FROM users "
                             "WHERE email LIKE :domain AND age >= :min ORDER BY email",
                             {{"domain", "%@a.io"}, {"min", 10}});
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].get<std::string>("email"), "ann@a.io");
  EXPECT_EQ(rows[1].get<std::optional<std::int32_t>>("age", Type::integer()), 37);
  EXPECT_THROW((void)rows[0].text("nope"), UsageError);

  const auto mapped = query_as<User>(*db, "SELECT * FROM users WHERE role = :role::enum_users_role",
                                     {{"role", "admin"}});
  ASSERT_EQ(mapped.size(), 1U);
  EXPECT_EQ(mapped[0].email, "bob@b.io");
  EXPECT_EQ(mapped[0].role, Role::admin);

  const testing::QueryRecorder recorder(*db);
  EXPECT_TRUE(query(*db, "SELECT 1 FROM users WHERE email = :e", {{"e", "'; DROP TABLE users; --"}})
                  .empty());
  EXPECT_EQ(recorder.queries().at(0).sql, "SELECT 1 FROM users WHERE email = $1");
  EXPECT_EQ(Repository<User>(*db).count(), 5);
}

TEST_F(ModelCrud, SyncAlterAddsMissingColumnsAndDropsUndeclaredOnes) {
  query(*db, "ALTER TABLE posts DROP COLUMN rating");
  query(*db, "ALTER TABLE posts ADD COLUMN legacy text");
  sync<User, Post>(*db, SyncMode::alter);
  const auto columns = query(*db,
                             "SELECT column_name FROM information_schema.columns "
                             "WHERE table_name = 'posts' ORDER BY column_name");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    names.emplace_back(*columns[i].text("column_name"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"id", "rating", "status", "title", "user_id"}));
}

TEST_F(ModelCrud, DestructiveSyncRefusesToRunInProduction) {
  Config config = test_config();
  config.production = true;
  Database production(config);
  EXPECT_THROW((sync<User, Post>(production, SyncMode::force)), ProductionRefusal);
  EXPECT_THROW((sync<User, Post>(production, SyncMode::alter)), ProductionRefusal);
  EXPECT_NO_THROW((sync<User, Post>(production, SyncMode::create)));
  Repository<User>(*db).create(user("still@here.io"));
  EXPECT_EQ(Repository<User>(production).count(), 1);
}

}  // namespace
}  // namespace pgtally::orm::test
