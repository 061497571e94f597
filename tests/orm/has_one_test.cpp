// hasOne, which the storefront does not use: an account and its optional profile, whose
// foreign key may be NULL, so that set and clear can detach the previous profile.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "orm/associations.hpp"
#include "orm/related.hpp"
#include "orm/repository.hpp"
#include "orm/sync.hpp"
#include "orm/testing/query_count.hpp"
#include "tests/orm/fixture.hpp"

namespace pgtally::orm::test {
namespace {

struct Profile;

struct Account {
  std::int64_t id = 0;
  std::string email{};
  One<Profile> profile{};

  friend bool operator==(const Account&, const Account&) = default;
  static const ModelSchema<Account>& schema() {
    static const auto schema =
        ModelSchema<Account>("accounts", "Account")
            .column(&Account::id, "id", Type::bigint(),
                    {.primary_key = true, .auto_increment = true})
            .column(&Account::email, "email", Type::string(100), {.unique = true});
    return schema;
  }
};

struct Profile {
  std::int64_t id = 0;
  std::optional<std::int64_t> accountId{};
  std::string bio{};
  One<Account> account{};

  friend bool operator==(const Profile&, const Profile&) = default;
  static const ModelSchema<Profile>& schema() {
    static const auto schema = ModelSchema<Profile>("profiles", "Profile")
                                   .underscored()
                                   .column(&Profile::id, "id", Type::bigint(),
                                           {.primary_key = true, .auto_increment = true})
                                   .column(&Profile::accountId, "accountId", Type::bigint())
                                   .column(&Profile::bio, "bio", Type::text());
    return schema;
  }
};

const Associations& registry() {
  static const Associations a = [] {
    Associations r;
    r.has_one(&Account::profile, &Profile::accountId, {.as = "profile"});
    r.belongs_to(&Profile::account, &Profile::accountId,
                 {.as = "account", .on_delete = "SET NULL"});
    r.validate();
    return r;
  }();
  return a;
}

class HasOne : public ::testing::Test {
 protected:
  void SetUp() override {
    Config config = test_config();
    config.associations = &registry();
    db = std::make_unique<Database>(config);
    sync<Account, Profile>(*db, SyncMode::force, registry().foreign_keys());
    Repository<Account> accounts(*db);
    ada = accounts.create(Account{.email = "ada@example.com"});
    bob = accounts.create(Account{.email = "bob@example.com"});
  }
  void TearDown() override { db.reset(); }

  std::vector<Account> with_profiles(bool separate) {
    return Repository<Account>(*db).find_all(
        {.order = {asc(&Account::id)},
         .include = {include(&Account::profile, {.separate = separate})}});
  }

  std::unique_ptr<Database> db;
  Account ada;
  Account bob;
};

TEST_F(HasOne, CreateIncludeSetAndClearAreOneQueryEach) {
  auto adas = related(*db, ada, &Account::profile);
  Profile profile;
  EXPECT_TRUE(
      testing::issues_exactly(*db, 1, [&] { profile = adas.create(Profile{.bio = "Analyst"}); }));
  EXPECT_EQ(profile.accountId, ada.id);

  const auto joined = with_profiles(false);
  ASSERT_EQ(joined.size(), 2U);
  ASSERT_TRUE(joined[0].profile.has_value());
  EXPECT_EQ(joined[0].profile->bio, "Analyst");
  EXPECT_TRUE(joined[1].profile.loaded());
  EXPECT_FALSE(joined[1].profile.has_value());  // loaded, and there is none
  EXPECT_EQ(with_profiles(true), joined);

  auto bobs = related(*db, bob, &Account::profile);
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { bobs.set(profile); }));
  EXPECT_EQ(profile.accountId, bob.id);
  EXPECT_FALSE(adas.get().has_value());
  EXPECT_EQ(bobs.get()->id, profile.id);
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { bobs.clear(); }));
  EXPECT_FALSE(bobs.get().has_value());

  // The belongsTo side of a detached profile: a NULL key needs no query.
  auto stored = *Repository<Profile>(*db).find_by_pk(profile.id);
  EXPECT_FALSE(stored.accountId.has_value());
  std::optional<Account> owner;
  EXPECT_TRUE(testing::issues_exactly(
      *db, 0, [&] { owner = related(*db, stored, &Profile::account).get(); }));
  EXPECT_FALSE(owner.has_value());
}

TEST_F(HasOne, DeletingTheOwnerSetsTheKeyToNullAsDeclared) {
  const auto profile = related(*db, ada, &Account::profile).create(Profile{.bio = "x"});
  Repository<Account>(*db).destroy(ada);
  EXPECT_FALSE(Repository<Profile>(*db).find_by_pk(profile.id)->accountId.has_value());
}

}  // namespace
}  // namespace pgtally::orm::test
