#include "orm/storefront/associations.hpp"

#include <utility>

#include "orm/storefront/models.hpp"

namespace pgtally::storefront {

const orm::Associations& associations() {
  static const orm::Associations registry = [] {
    orm::Associations a;
    // User 1-n Order
    a.has_many(&User::orders, &Order::userId, {.as = "orders"});
    a.belongs_to(&Order::user, &Order::userId, {.as = "user", .on_delete = "CASCADE"});
    // Order 1-n OrderItem
    a.has_many(&Order::items, &OrderItem::orderId, {.as = "items"});
    a.belongs_to(&OrderItem::order, &OrderItem::orderId, {.as = "order", .on_delete = "CASCADE"});
    // Product 1-n OrderItem
    a.has_many(&Product::orderItems, &OrderItem::productId, {.as = "orderItems"});
    a.belongs_to(&OrderItem::product, &OrderItem::productId,
                 {.as = "product", .on_delete = "RESTRICT"});
    // Category 1-n Product
    a.has_many(&Category::products, &Product::categoryId, {.as = "products"});
    a.belongs_to(&Product::category, &Product::categoryId,
                 {.as = "category", .on_delete = "RESTRICT"});
    // Product n-m Tag through ProductTag (its added_at rides along on each loaded side)
    a.belongs_to_many(&Product::tags, &ProductTag::productId, &ProductTag::tagId, &Tag::productTag,
                      {.as = "tags", .on_delete = "CASCADE"});
    a.belongs_to_many(&Tag::products, &ProductTag::tagId, &ProductTag::productId,
                      &Product::productTag, {.as = "products", .on_delete = "CASCADE"});
    // Product 1-n Review
    a.has_many(&Product::reviews, &Review::productId, {.as = "reviews"});
    a.belongs_to(&Review::product, &Review::productId, {.as = "product", .on_delete = "CASCADE"});
    // User 1-n Review, whose side is called "author"
    a.has_many(&User::reviews, &Review::userId, {.as = "reviews"});
    a.belongs_to(&Review::author, &Review::userId, {.as = "author", .on_delete = "CASCADE"});
    a.validate();
    return a;
  }();
  return registry;
}

void sync(orm::Database& db, orm::SyncMode mode) {
  orm::sync<Category, User, Tag, Product, ProductTag, Review, Order, OrderItem>(
      db, mode, associations().foreign_keys());
}

}  // namespace pgtally::storefront
