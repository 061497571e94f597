// The storefront's models: users place orders of products, products sit in a category, carry
// tags and collect reviews. Money is integer cents. The tests, the benchmarks and the sample
// service share them; the associations are declared in one place, storefront/associations.cpp,
// and the tables match the migrations in storefront/migrations/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "orm/loaded.hpp"
#include "orm/model.hpp"

namespace pgtally::storefront {

namespace orm = pgtally::orm;

struct Category;
struct User;
struct Tag;
struct Product;
struct ProductTag;
struct Review;
struct Order;
struct OrderItem;

struct Category {
  std::int64_t id = 0;
  std::string name{};
  orm::Timestamp createdAt{};
  orm::Timestamp updatedAt{};

  orm::Many<Product> products{};

  friend bool operator==(const Category&, const Category&) = default;
  static const orm::ModelSchema<Category>& schema();
};

struct User {
  std::int64_t id = 0;
  std::string email{};
  std::string name{};
  orm::Timestamp createdAt{};
  orm::Timestamp updatedAt{};

  orm::Many<Order> orders{};
  orm::Many<Review> reviews{};

  friend bool operator==(const User&, const User&) = default;
  static const orm::ModelSchema<User>& schema();
};

struct Tag {
  std::int64_t id = 0;
  std::string name{};

  orm::Many<Product> products{};
  orm::One<ProductTag> productTag{};  // the join row, when loaded through Product::tags

  friend bool operator==(const Tag&, const Tag&) = default;
  static const orm::ModelSchema<Tag>& schema();
};

struct Product {
  std::int64_t id = 0;
  std::int64_t categoryId = 0;
  std::string name{};
  std::string sku{};
  std::int32_t priceCents = 0;
  orm::Timestamp createdAt{};
  orm::Timestamp updatedAt{};

  orm::One<Category> category{};
  orm::Many<Tag> tags{};
  orm::Many<Review> reviews{};
  orm::Many<OrderItem> orderItems{};
  orm::One<ProductTag> productTag{};  // the join row, when loaded through Tag::products

  friend bool operator==(const Product&, const Product&) = default;
  static const orm::ModelSchema<Product>& schema();
};

// The join model of Product and Tag, with an attribute of its own.
struct ProductTag {
  std::int64_t id = 0;
  std::int64_t productId = 0;
  std::int64_t tagId = 0;
  std::optional<orm::Timestamp> addedAt{};  // empty on insert: the database's now()

  friend bool operator==(const ProductTag&, const ProductTag&) = default;
  static const orm::ModelSchema<ProductTag>& schema();
};

struct Review {
  std::int64_t id = 0;
  std::int64_t productId = 0;
  std::int64_t userId = 0;
  std::int32_t rating = 0;
  std::optional<std::string> body{};
  orm::Timestamp createdAt{};
  orm::Timestamp updatedAt{};

  orm::One<Product> product{};
  orm::One<User> author{};

  friend bool operator==(const Review&, const Review&) = default;
  static const orm::ModelSchema<Review>& schema();
};

struct Order {
  std::int64_t id = 0;
  std::int64_t userId = 0;
  std::string status = "pending";  // pending, paid, shipped, cancelled
  std::int64_t totalCents = 0;
  orm::Timestamp createdAt{};
  orm::Timestamp updatedAt{};

  orm::One<User> user{};
  orm::Many<OrderItem> items{};

  friend bool operator==(const Order&, const Order&) = default;
  static const orm::ModelSchema<Order>& schema();
};

struct OrderItem {
  std::int64_t id = 0;
  std::int64_t orderId = 0;
  std::int64_t productId = 0;
  std::int32_t quantity = 1;
  std::int32_t unitPriceCents = 0;

  orm::One<Order> order{};
  orm::One<Product> product{};

  friend bool operator==(const OrderItem&, const OrderItem&) = default;
  static const orm::ModelSchema<OrderItem>& schema();
};

}  // namespace pgtally::storefront
