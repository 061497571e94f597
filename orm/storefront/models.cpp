#include "orm/storefront/models.hpp"

#include "orm/validation.hpp"

namespace pgtally::storefront {
namespace {
using orm::Type;
// Every storefront table's key: id bigserial primary key.
orm::ColumnOptions key() {
  return {.primary_key = true, .auto_increment = true};
}
}  // namespace

const orm::ModelSchema<Category>& Category::schema() {
  static const auto schema =
      orm::ModelSchema<Category>("categories", "Category")
          .underscored()
          .column(&Category::id, "id", Type::bigint(), key())
          .column(&Category::name, "name", Type::string(100), {.unique = true})
          .timestamps(&Category::createdAt, &Category::updatedAt);
  return schema;
}

const orm::ModelSchema<User>& User::schema() {
  static const auto schema = orm::ModelSchema<User>("users", "User")
                                 .underscored()
                                 .column(&User::id, "id", Type::bigint(), key())
                                 .column(&User::email, "email", Type::string(255),
                                         {.unique = true, .validate = {orm::is_email()}})
                                 .column(&User::name, "name", Type::string(100))
                                 .timestamps(&User::createdAt, &User::updatedAt);
  return schema;
}

const orm::ModelSchema<Tag>& Tag::schema() {
  static const auto schema = orm::ModelSchema<Tag>("tags", "Tag")
                                 .underscored()
                                 .column(&Tag::id, "id", Type::bigint(), key())
                                 .column(&Tag::name, "name", Type::string(50), {.unique = true});
  return schema;
}

const orm::ModelSchema<Product>& Product::schema() {
  static const auto schema =
      orm::ModelSchema<Product>("products", "Product")
          .underscored()
          .column(&Product::id, "id", Type::bigint(), key())
          .column(&Product::categoryId, "categoryId", Type::bigint())
          .column(&Product::name, "name", Type::string(200))
          .column(&Product::sku, "sku", Type::string(64), {.unique = true})
          .column(&Product::priceCents, "priceCents", Type::integer(), {.validate = {orm::min(0)}})
          .timestamps(&Product::createdAt, &Product::updatedAt)
          .index("products_category_id_idx", {"category_id"});
  return schema;
}

const orm::ModelSchema<ProductTag>& ProductTag::schema() {
  static const auto schema =
      orm::ModelSchema<ProductTag>("product_tags", "ProductTag")
          .underscored()
          .column(&ProductTag::id, "id", Type::bigint(), key())
          .column(&ProductTag::productId, "productId", Type::bigint())
          .column(&ProductTag::tagId, "tagId", Type::bigint())
          .column(&ProductTag::addedAt, "addedAt", Type::timestamptz(),
                  {.allow_null = false, .default_sql = "now()"})
          .unique_constraint("product_tags_product_id_tag_id_key", {"product_id", "tag_id"})
          .index("product_tags_tag_id_idx", {"tag_id"});
  return schema;
}

const orm::ModelSchema<Review>& Review::schema() {
  static const auto schema = orm::ModelSchema<Review>("reviews", "Review")
                                 .underscored()
                                 .column(&Review::id, "id", Type::bigint(), key())
                                 .column(&Review::productId, "productId", Type::bigint())
                                 .column(&Review::userId, "userId", Type::bigint())
                                 .column(&Review::rating, "rating", Type::integer(),
                                         {.validate = {orm::min(1), orm::max(5)}})
                                 .column(&Review::body, "body", Type::text())
                                 .timestamps(&Review::createdAt, &Review::updatedAt)
                                 .index("reviews_product_id_idx", {"product_id"})
                                 .index("reviews_user_id_idx", {"user_id"});
  return schema;
}

const orm::ModelSchema<Order>& Order::schema() {
  static const auto schema =
      orm::ModelSchema<Order>("orders", "Order")
          .underscored()
          .column(&Order::id, "id", Type::bigint(), key())
          .column(&Order::userId, "userId", Type::bigint())
          .column(&Order::status, "status", Type::string(20),
                  {.default_value = "pending",
                   .validate = {orm::is_in({"pending", "paid", "shipped", "cancelled"})}})
          .column(&Order::totalCents, "totalCents", Type::bigint(),
                  {.default_value = std::int64_t{0}, .validate = {orm::min(0)}})
          .timestamps(&Order::createdAt, &Order::updatedAt)
          .index("orders_user_id_idx", {"user_id"});
  return schema;
}

const orm::ModelSchema<OrderItem>& OrderItem::schema() {
  static const auto schema =
      orm::ModelSchema<OrderItem>("order_items", "OrderItem")
          .underscored()
          .column(&OrderItem::id, "id", Type::bigint(), key())
          .column(&OrderItem::orderId, "orderId", Type::bigint())
          .column(&OrderItem::productId, "productId", Type::bigint())
          .column(&OrderItem::quantity, "quantity", Type::integer(), {.validate = {orm::min(1)}})
          .column(&OrderItem::unitPriceCents, "unitPriceCents", Type::integer(),
                  {.validate = {orm::min(0)}})
          .index("order_items_order_id_idx", {"order_id"})
          .index("order_items_product_id_idx", {"product_id"});
  return schema;
}

}  // namespace pgtally::storefront
