// Associations against a real PostgreSQL with the storefront schema: the lazy loop that is an
// N+1 and the includes that fix it (JOIN and separate), nested includes checked row for row
// against hand-written SQL, belongsToMany with its join model, the lazy accessors (one
// statement each) and the constraints sync creates.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "orm/raw_query.hpp"
#include "orm/related.hpp"
#include "orm/repository.hpp"
#include "orm/testing/query_count.hpp"
#include "tests/orm/storefront_fixture.hpp"

namespace pgtally::orm::test {
namespace {

namespace sf = pgtally::storefront;

using Associations = StorefrontTest;

std::vector<sf::User> lazy_users_with_orders(Database& db) {
  auto users = Repository<sf::User>(db).find_all({.order = {asc(&sf::User::id)}});
  for (auto& u : users)
    related(db, u, &sf::User::orders).load();
  return users;
}

TEST_F(Associations, LazyLoopIssuesOnePlusNQueriesAndIsFlagged) {
  std::vector<sf::User> users;
  EXPECT_TRUE(testing::issues_exactly(*db, 51, [&] { users = lazy_users_with_orders(*db); }));
  ASSERT_EQ(users.size(), 50U);
  EXPECT_EQ(users[0].orders.size(), 2U);
  const auto verdict = testing::has_no_n_plus_one(*db, [&] { lazy_users_with_orders(*db); });
  EXPECT_FALSE(verdict) << "the lazy loop was not flagged";
  EXPECT_NE(std::string(verdict.message()).find("N+1"), std::string::npos) << verdict.message();
}

TEST_F(Associations, JoinIncludeIsOneQueryNotFlaggedAndEqualsTheLazyGraph) {
  const auto lazy = lazy_users_with_orders(*db);
  std::vector<sf::User> eager;
  const auto load = [&] {
    eager = Repository<sf::User>(*db).find_all(
        {.order = {asc(&sf::User::id)}, .include = {include(&sf::User::orders)}});
  };
  EXPECT_TRUE(testing::issues_exactly(*db, 1, load));
  EXPECT_TRUE(testing::has_no_n_plus_one(*db, load));
  EXPECT_EQ(eager, lazy);
}

TEST_F(Associations, SeparateIncludeIsOneQueryPerLevelPlusOne) {
  const auto three_levels = [](bool separate) {
    return FindOptions{
        .order = {asc(&sf::User::id)},
        .include = {include(
            &sf::User::orders,
            {.separate = separate,
             .include = {include(
                 &sf::Order::items,
                 {.separate = separate,
                  .include = {include(&sf::OrderItem::product, {.separate = separate})}})}})}};
  };
  std::vector<sf::User> joined;
  std::vector<sf::User> separate;
  EXPECT_TRUE(testing::issues_exactly(
      *db, 1, [&] { joined = Repository<sf::User>(*db).find_all(three_levels(false)); }));
  const auto load_separate = [&] {
    separate = Repository<sf::User>(*db).find_all(three_levels(true));
  };
  EXPECT_TRUE(testing::issues_exactly(*db, 4, load_separate));
  EXPECT_TRUE(testing::has_no_n_plus_one(*db, load_separate));
  ASSERT_EQ(joined.size(), 50U);
  EXPECT_EQ(joined, separate);
  // A product shared by several items is copied into each of them.
  const auto& item = joined[3].orders[1].items[2];
  ASSERT_TRUE(item.product.has_value());
  EXPECT_EQ(item.product->id, item.productId);
}

// users (id <= 20) → orders (required: paid or shipped) → items (optional: quantity >= 2) →
// product (required: price >= 1000 cents).
FindOptions nested_options(bool separate_items) {
  return FindOptions{
      .where = op::lte(&sf::User::id, std::int64_t{20}),
      .order = {asc(&sf::User::id)},
      .include = {include(
          &sf::User::orders,
          {.where = op::in(&sf::Order::status, {"paid", "shipped"}),
           .required = true,
           .include = {include(
               &sf::Order::items,
               {.where = op::gte(&sf::OrderItem::quantity, 2),
                .separate = separate_items,
                .include = {include(
                    &sf::OrderItem::product,
                    {.where = op::gte(&sf::Product::priceCents, 1000), .required = true})}})}})}};
}

std::vector<std::string> flatten(const std::vector<sf::User>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) {
    for (const auto& o : u.orders) {
      if (o.items.empty())
        out.push_back(fmt::format("{}\t{}\t{}\t\\N\t\\N\t\\N", u.id, o.id, o.status));
      for (const auto& i : o.items) {
        out.push_back(fmt::format("{}\t{}\t{}\t{}\t{}\t{}", u.id, o.id, o.status, i.id,
                                  i.product->id, i.product->priceCents));
      }
    }
  }
  return out;
}

std::vector<std::string> by_hand(Database& db) {
  const auto rows = query(db,
                          "SELECT u.id AS u, o.id AS o, o.status AS s, i.id AS i, p.id AS p, "
                          "p.price_cents AS c FROM users u "
                          "JOIN orders o ON o.user_id = u.id AND o.status IN ('paid', 'shipped') "
                          "LEFT JOIN (order_items i JOIN products p ON p.id = i.product_id "
                          "AND p.price_cents >= 1000) ON i.order_id = o.id AND i.quantity >= 2 "
                          "WHERE u.id <= 20 ORDER BY u.id, o.id, i.id");
  std::vector<std::string> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (const char* c : {"u", "o", "s", "i", "p", "c"}) {
      const auto v = rows[r].text(c);
      line += (line.empty() ? "" : "\t") + (v ? std::string(*v) : std::string("\\N"));
    }
    out.push_back(std::move(line));
  }
  return out;
}

TEST_F(Associations, NestedThreeLevelsMatchHandWrittenSqlRowForRow) {
  std::vector<sf::User> users;
  EXPECT_TRUE(testing::issues_exactly(
      *db, 1, [&] { users = Repository<sf::User>(*db).find_all(nested_options(false)); }));
  const auto expected = by_hand(*db);
  ASSERT_GT(expected.size(), 10U);
  EXPECT_EQ(flatten(users), expected);
  // Required orders left out the users who have none that are paid or shipped.
  std::set<std::int64_t> with_orders;
  for (const auto& line : expected)
    with_orders.insert(std::stoll(line.substr(0, line.find('\t'))));
  EXPECT_EQ(users.size(), with_orders.size());
  EXPECT_LT(users.size(), 20U);
  // Some orders kept no item (optional level) and some items were dropped (required product).
  EXPECT_TRUE(std::any_of(expected.begin(), expected.end(),
                          [](const std::string& l) { return l.ends_with("\\N"); }));
}

TEST_F(Associations, NestedWithASeparateLevelMatchesTheJoin) {
  std::vector<sf::User> separate;
  EXPECT_TRUE(testing::issues_exactly(
      *db, 2, [&] { separate = Repository<sf::User>(*db).find_all(nested_options(true)); }));
  EXPECT_EQ(flatten(separate), by_hand(*db));
  EXPECT_EQ(separate, Repository<sf::User>(*db).find_all(nested_options(false)));
}

TEST_F(Associations, AttributesWhereAndOrderPerInclude) {
  const auto users = Repository<sf::User>(*db).find_all(
      {.where = op::eq(&sf::User::id, std::int64_t{3}),
       .attributes = {attr(&sf::User::email)},
       .include = {include(&sf::User::orders, {.attributes = {attr(&sf::Order::status)},
                                               .order = {desc(&sf::Order::id)}})}});
  ASSERT_EQ(users.size(), 1U);
  EXPECT_EQ(users[0].id, 3);  // the key is always read
  EXPECT_TRUE(users[0].name.empty());
  ASSERT_EQ(users[0].orders.size(), 2U);
  EXPECT_GT(users[0].orders[0].id, users[0].orders[1].id);
  EXPECT_EQ(users[0].orders[0].totalCents, 0);  // not selected
  EXPECT_FALSE(users[0].orders[0].status.empty());
}

TEST_F(Associations, LimitPerParentWithSeparateTakesTheTopRowsOfEachParent) {
  std::vector<sf::User> users;
  const auto load = [&] {
    users = Repository<sf::User>(*db).find_all(
        {.order = {asc(&sf::User::id)},
         .include = {include(&sf::User::orders,
                             {.order = {desc(&sf::Order::id)}, .separate = true, .limit = 1})}});
  };
  EXPECT_TRUE(testing::issues_exactly(*db, 2, load));
  const auto latest =
      query(*db, "SELECT max(id) AS id FROM orders GROUP BY user_id ORDER BY user_id");
  ASSERT_EQ(users.size(), latest.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    ASSERT_EQ(users[i].orders.size(), 1U);
    EXPECT_EQ(users[i].orders[0].id, latest[i].get<std::int64_t>("id"));
  }
}

TEST_F(Associations, TopLevelLimitCountsParentsNotJoinedRows) {
  const auto users = Repository<sf::User>(*db).find_all(
      {.order = {desc(&sf::User::id)},
       .limit = 5,
       .offset = 1,
       .include = {include(&sf::User::orders, {.required = true}), include(&sf::User::reviews)}});
  ASSERT_EQ(users.size(), 5U);
  EXPECT_EQ(users.front().id, 49);
  for (const auto& u : users) {
    EXPECT_EQ(u.orders.size(), 2U);
    EXPECT_EQ(u.reviews.size(), 1U);
  }
}

TEST_F(Associations, BelongsToWithAnAliasAndBelongsToManyWithItsJoinRow) {
  const auto reviews = Repository<sf::Review>(*db).find_all(
      {.order = {asc(&sf::Review::id)},
       .include = {include(&sf::Review::author), include(&sf::Review::product)}});
  ASSERT_EQ(reviews.size(), 50U);
  EXPECT_EQ(reviews[6].author->id, reviews[6].userId);
  EXPECT_EQ(reviews[6].author->email, "user7@example.com");
  EXPECT_EQ(reviews[6].product->id, reviews[6].productId);

  const auto products = Repository<sf::Product>(*db).find_all(
      {.order = {asc(&sf::Product::id)},
       .include = {include(&sf::Product::tags, {.order = {asc(&sf::Tag::name)}}),
                   include(&sf::Product::category)}});
  ASSERT_EQ(products.size(), 40U);
  for (const auto& p : products) {
    ASSERT_FALSE(p.tags.empty());
    EXPECT_EQ(p.category->id, p.categoryId);
    for (const auto& t : p.tags) {
      ASSERT_TRUE(t.productTag.has_value());  // the join model's own row
      EXPECT_EQ(t.productTag->productId, p.id);
      EXPECT_EQ(t.productTag->tagId, t.id);
      EXPECT_TRUE(t.productTag->addedAt.has_value());
    }
  }
  const auto links = query(*db, "SELECT count(*) AS n FROM product_tags");
  std::size_t loaded = 0;
  for (const auto& p : products)
    loaded += p.tags.size();
  EXPECT_EQ(static_cast<std::int64_t>(loaded), links[0].get<std::int64_t>("n"));

  // The other side, separate: one query per level.
  std::vector<sf::Tag> tags;
  EXPECT_TRUE(testing::issues_exactly(*db, 2, [&] {
    tags = Repository<sf::Tag>(*db).find_all(
        {.include = {include(&sf::Tag::products, {.separate = true})}});
  }));
  std::size_t back = 0;
  for (const auto& t : tags) {
    for (const auto& p : t.products) {
      EXPECT_EQ(p.productTag->tagId, t.id);
      ++back;
    }
  }
  EXPECT_EQ(back, loaded);
}

TEST_F(Associations, LazyAccessorsOnHasManyAreOneQueryEach) {
  Repository<sf::User> users(*db);
  auto ada = *users.find_by_pk(std::int64_t{1});
  auto bob = *users.find_by_pk(std::int64_t{2});
  auto orders = related(*db, ada, &sf::User::orders);
  std::int64_t count = 0;
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { count = orders.count(); }));
  EXPECT_EQ(count, 2);
  EXPECT_EQ(orders.count(op::eq(&sf::Order::status, std::string("no such"))), 0);
  sf::Order created;
  EXPECT_TRUE(testing::issues_exactly(
      *db, 1, [&] { created = orders.create(sf::Order{.status = "paid", .totalCents = 500}); }));
  EXPECT_EQ(created.userId, ada.id);
  bool has = false;
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { has = orders.has(created); }));
  EXPECT_TRUE(has);
  auto bobs = related(*db, bob, &sf::User::orders);
  EXPECT_FALSE(bobs.has(created));
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { bobs.add(created); }));
  EXPECT_EQ(created.userId, bob.id);  // also in memory
  EXPECT_EQ(bobs.count(), 3);
  EXPECT_EQ(orders.count(), 2);
  std::vector<sf::Order> got;
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { got = bobs.get(); }));
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got.back(), created);
  // set moves orders between users in one statement; the key is NOT NULL, so set cannot drop
  // bob's other orders: the database refuses and nothing changes.
  EXPECT_THROW(orders.set({&got[0], &got[1], &got[2]}), NotNullConstraintError);
  EXPECT_EQ(bobs.count(), 3);
  EXPECT_THROW(bobs.remove(created), NotNullConstraintError);
}

TEST_F(Associations, LazyAccessorsOnBelongsToAreOneQueryEach) {
  auto order = *Repository<sf::Order>(*db).find_by_pk(std::int64_t{5});
  auto owner = related(*db, order, &sf::Order::user);
  std::optional<sf::User> user;
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { user = owner.get(); }));
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->id, order.userId);
  auto other = *Repository<sf::User>(*db).find_by_pk(std::int64_t{9});
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { owner.set(other); }));
  EXPECT_EQ(order.userId, 9);
  EXPECT_EQ(Repository<sf::Order>(*db).find_by_pk(order.id)->userId, 9);
  sf::User fresh;
  EXPECT_TRUE(testing::issues_exactly(
      *db, 1, [&] { fresh = owner.create(sf::User{.email = "new@example.com", .name = "New"}); }));
  EXPECT_GT(fresh.id, 50);
  EXPECT_EQ(order.userId, fresh.id);
  EXPECT_EQ(Repository<sf::Order>(*db).find_by_pk(order.id)->userId, fresh.id);
  EXPECT_EQ(owner.load().value().email, "new@example.com");
  EXPECT_TRUE(order.user.loaded());
  // Reading an association nobody loaded is an error, not an empty value.
  EXPECT_FALSE(order.items.loaded());
  try {
    (void)order.items.size();
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.code(), "PGT04");
    EXPECT_NE(std::string(e.what()).find("not loaded"), std::string::npos);
  }
}

TEST_F(Associations, LazyAccessorsOnBelongsToManyAreOneQueryEach) {
  auto product = *Repository<sf::Product>(*db).find_by_pk(std::int64_t{1});
  auto tags = related(*db, product, &sf::Product::tags);
  const auto before = tags.get();
  ASSERT_FALSE(before.empty());
  EXPECT_TRUE(before.front().productTag.has_value());
  auto all = Repository<sf::Tag>(*db).find_all({.order = {asc(&sf::Tag::id)}});
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { tags.set({&all[0], &all[1], &all[2]}); }));
  EXPECT_EQ(tags.count(), 3);
  EXPECT_TRUE(tags.has(all[2]));
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { tags.add(all[2]); }));  // already there
  EXPECT_TRUE(testing::issues_exactly(*db, 1, [&] { tags.remove(all[0]); }));
  EXPECT_FALSE(tags.has(all[0]));
  EXPECT_EQ(tags.count(), 2);
  sf::Tag created;
  EXPECT_TRUE(
      testing::issues_exactly(*db, 1, [&] { created = tags.create(sf::Tag{.name = "fresh"}); }));
  EXPECT_TRUE(tags.has(created));
  const auto at = orm::Timestamp(std::chrono::microseconds(1'700'000'000'000'000));
  const auto link = tags.add(all[5], sf::ProductTag{.addedAt = at});
  EXPECT_EQ(link.productId, product.id);
  EXPECT_EQ(link.tagId, all[5].id);
  const auto now = tags.get({.where = op::eq(&sf::Tag::id, all[5].id)});
  ASSERT_EQ(now.size(), 1U);
  EXPECT_EQ(now[0].productTag->addedAt, at);
  EXPECT_EQ(tags.count(), 4);
}

TEST_F(Associations, IncludeOptionsThatCannotBeHonouredAreErrors) {
  Repository<sf::User> users(*db);
  EXPECT_THROW(users.find_all({.include = {include(&sf::Order::items)}}), UsageError);
  EXPECT_THROW(users.find_all(
                   {.include = {include(&sf::User::orders, {.required = true, .separate = true})}}),
               UsageError);
  EXPECT_THROW(users.find_all({.include = {include(&sf::User::orders, {.limit = 1})}}), UsageError);
  EXPECT_THROW(
      users.find_all({.include = {include(&sf::User::orders), include(&sf::User::orders)}}),
      UsageError);
  Database bare(test_config());
  EXPECT_THROW(Repository<sf::User>(bare).find_all({.include = {include(&sf::User::orders)}}),
               UsageError);
}

TEST_F(Associations, IncludesAndAccessorsRunInsideATransaction) {
  auto user = *Repository<sf::User>(*db).find_by_pk(std::int64_t{4});
  {
    Transaction tx = db->begin();
    related(tx, user, &sf::User::orders).create(sf::Order{.status = "paid"});
    const auto users = Repository<sf::User>(tx).find_all(
        {.where = op::eq(&sf::User::id, user.id),
         .include = {include(&sf::User::orders, {.separate = true})}});
    ASSERT_EQ(users.size(), 1U);
    EXPECT_EQ(users[0].orders.size(), 3U);  // the transaction sees its own order
    tx.rollback();
  }
  EXPECT_EQ(related(*db, user, &sf::User::orders).count(), 2);
}

TEST_F(Associations, SyncCreatesForeignKeysTheJoinUniqueAndIndexes) {
  const auto constraints = query(*db,
                                 "SELECT conname AS name, contype AS type, confdeltype AS del "
                                 "FROM pg_constraint WHERE contype IN ('f', 'u') "
                                 "AND connamespace = current_schema()::regnamespace "
                                 "ORDER BY conname");
  std::vector<std::string> got;
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    got.push_back(fmt::format("{} {} {}", *constraints[i].text("name"),
                              *constraints[i].text("type"), *constraints[i].text("del")));
  }
  const std::vector<std::string> expected{
      "categories_name_key u  ",
      "order_items_order_id_fkey f c",
      "order_items_product_id_fkey f r",
      "orders_user_id_fkey f c",
      "product_tags_product_id_fkey f c",
      "product_tags_product_id_tag_id_key u  ",
      "product_tags_tag_id_fkey f c",
      "products_category_id_fkey f r",
      "products_sku_key u  ",
      "reviews_product_id_fkey f c",
      "reviews_user_id_fkey f c",
      "tags_name_key u  ",
      "users_email_key u  ",
  };
  EXPECT_EQ(got, expected);
  const auto indexes = query(*db,
                             "SELECT count(*) AS n FROM pg_indexes WHERE indexname IN ("
                             "'products_category_id_idx', 'product_tags_tag_id_idx', "
                             "'reviews_product_id_idx', 'reviews_user_id_idx', "
                             "'orders_user_id_idx', 'order_items_order_id_idx', "
                             "'order_items_product_id_idx')");
  EXPECT_EQ(indexes[0].get<std::int64_t>("n"), 7);
  EXPECT_THROW(query(*db, "INSERT INTO product_tags (product_id, tag_id) VALUES (1, 1), (1, 1)"),
               UniqueConstraintError);
  EXPECT_THROW(query(*db, "DELETE FROM categories WHERE id = 1"), ForeignKeyConstraintError);
}

}  // namespace
}  // namespace pgtally::orm::test
