// The association registry without a server: pairing, the errors a one-sided or inconsistent
// declaration gets, lookups and the foreign keys it implies.
#include <string>

#include <gtest/gtest.h>

#include "orm/associations.hpp"
#include "orm/storefront/associations.hpp"
#include "orm/storefront/models.hpp"

namespace pgtally::orm::test {
namespace {

namespace sf = pgtally::storefront;

std::string validation_error(Associations& a) {
  try {
    a.validate();
  } catch (const AssociationError& e) {
    EXPECT_EQ(e.code(), "PGT05");
    return e.what();
  }
  ADD_FAILURE() << "validate() accepted the registry";
  return {};
}

TEST(AssociationRegistry, OneSidedHasManyIsAnErrorNamingTheMissingSide) {
  Associations a;
  a.has_many(&sf::User::orders, &sf::Order::userId, {.as = "orders"});
  const std::string message = validation_error(a);
  EXPECT_NE(message.find("User.orders (hasMany Order, key orders.user_id) has no inverse"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("belongs_to(&Order::<member>, &Order::userId"), std::string::npos)
      << message;
}

TEST(AssociationRegistry, OneSidedBelongsToAndBelongsToManyAreErrorsToo) {
  Associations a;
  a.belongs_to(&sf::Review::author, &sf::Review::userId, {.as = "author"});
  a.belongs_to_many(&sf::Product::tags, &sf::ProductTag::productId, &sf::ProductTag::tagId,
                    {.as = "tags"});
  // The inverse of tags must swap the keys; this one does not.
  a.belongs_to_many(&sf::Tag::products, &sf::ProductTag::productId, &sf::ProductTag::tagId,
                    {.as = "products"});
  const std::string message = validation_error(a);
  EXPECT_NE(message.find("3 problem"), std::string::npos) << message;
  EXPECT_NE(message.find("Review.author (belongsTo User, key reviews.user_id) has no inverse"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("Product.tags (belongsToMany Tag"), std::string::npos) << message;
}

TEST(AssociationRegistry, InverseWithAnotherKeyDoesNotCount) {
  Associations a;
  a.has_many(&sf::Product::reviews, &sf::Review::productId, {.as = "reviews"});
  a.belongs_to(&sf::Review::product, &sf::Review::userId, {.as = "product"});
  const std::string message = validation_error(a);
  EXPECT_NE(message.find("Product.reviews"), std::string::npos) << message;
  EXPECT_NE(message.find("Review.product"), std::string::npos) << message;
}

TEST(AssociationRegistry, AliasesAndOnDeleteAreChecked) {
  Associations a;
  a.has_many(&sf::User::orders, &sf::Order::userId, {.as = "orders", .on_delete = "CASCADE"});
  a.belongs_to(&sf::Order::user, &sf::Order::userId, {.as = ""});
  a.has_many(&sf::User::reviews, &sf::Review::userId, {.as = "orders"});
  a.belongs_to(&sf::Review::author, &sf::Review::userId, {.as = "author"});
  const std::string message = validation_error(a);
  EXPECT_NE(message.find("on_delete belongs on the belongs_to side"), std::string::npos) << message;
  EXPECT_NE(message.find("name it with"), std::string::npos) << message;
  EXPECT_NE(message.find("User declares two associations named 'orders'"), std::string::npos)
      << message;
}

TEST(AssociationRegistry, LookupsNeedAValidatedRegistryAndADeclaredMember) {
  Associations a;
  a.has_many(&sf::User::orders, &sf::Order::userId, {.as = "orders"});
  a.belongs_to(&sf::Order::user, &sf::Order::userId, {.as = "user"});
  EXPECT_THROW((void)a.find(&sf::User::orders), AssociationError);
  a.validate();
  const Association& orders = a.find(&sf::User::orders);
  EXPECT_EQ(orders.as(), "orders");
  EXPECT_EQ(orders.inverse(), &a.find(&sf::Order::user));
  EXPECT_EQ(orders.inverse()->inverse(), &orders);
  EXPECT_THROW((void)a.find(&sf::User::reviews), AssociationError);
}

TEST(AssociationRegistry, TheStorefrontRegistryPairsEverySideAndNamesItsForeignKeys) {
  const auto& registry = sf::associations();
  EXPECT_EQ(registry.all().size(), 14U);
  for (const auto& side : registry.all())
    EXPECT_NE(side->inverse(), nullptr) << side->describe();
  std::vector<std::string> keys;
  for (const auto& fk : registry.foreign_keys()) {
    keys.push_back(fk.name + " -> " + fk.references_table + "(" + fk.references_column + ") " +
                   fk.on_delete);
  }
  const std::vector<std::string> expected{
      "orders_user_id_fkey -> users(id) CASCADE",
      "order_items_order_id_fkey -> orders(id) CASCADE",
      "order_items_product_id_fkey -> products(id) RESTRICT",
      "products_category_id_fkey -> categories(id) RESTRICT",
      "product_tags_product_id_fkey -> products(id) CASCADE",
      "product_tags_tag_id_fkey -> tags(id) CASCADE",
      "reviews_product_id_fkey -> products(id) CASCADE",
      "reviews_user_id_fkey -> users(id) CASCADE",
  };
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(registry.find(&sf::Review::author).target().model_name(), "User");
}

}  // namespace
}  // namespace pgtally::orm::test
