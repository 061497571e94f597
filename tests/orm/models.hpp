// The models the ORM tests use: a user with one column of every attribute type, and a post
// that references it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "orm/model.hpp"

namespace pgtally::orm::test {

enum class Role : std::uint8_t { member, admin };

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string displayName;
  std::optional<std::int32_t> age;
  Role role = Role::member;
  bool active = true;
  std::optional<std::string> bio;
  std::optional<Date> birthday;
  Numeric balance;
  std::optional<Uuid> externalId;
  Json settings = Json::object();
  std::int32_t loginCount = 0;
  Timestamp createdAt;
  Timestamp updatedAt;

  [[nodiscard]] bool adult() const { return age.value_or(0) >= 18; }  // the model's own method

  static const ModelSchema<User>& schema() {
    static const auto schema =
        ModelSchema<User>("users", "User")
            .underscored()
            .column(&User::id, "id", Type::bigint(), {.primary_key = true, .auto_increment = true})
            .column(&User::email, "email", Type::string(255),
                    {.unique = true, .validate = {is_email()}})
            .column(&User::displayName, "displayName", Type::string(40),
                    {.validate = {not_empty(), len(2, 40)}})
            .column(&User::age, "age", Type::integer(), {.validate = {min(0), max(150)}})
            .column(&User::role, "role", Type::enumeration({"member", "admin"}),
                    {.default_value = "member"})
            .column(&User::active, "active", Type::boolean(), {.default_value = true})
            .column(&User::bio, "bio", Type::text())
            .column(&User::birthday, "birthday", Type::date())
            .column(&User::balance, "balance", Type::numeric(12, 2), {.default_value = "0"})
            .column(&User::externalId, "externalId", Type::uuid())
            .column(&User::settings, "settings", Type::jsonb())
            .column(&User::loginCount, "loginCount", Type::integer(), {.default_value = 0})
            .timestamps(&User::createdAt, &User::updatedAt);
    return schema;
  }
};

struct Post {
  std::int64_t id = 0;
  std::int64_t userId = 0;
  std::string title;
  std::string status = "draft";
  std::optional<std::int32_t> rating;

  static const ModelSchema<Post>& schema() {
    static const auto schema =
        ModelSchema<Post>("posts", "Post")
            .underscored()
            .column(&Post::id, "id", Type::bigint(), {.primary_key = true, .auto_increment = true})
            .column(&Post::userId, "userId", Type::bigint(),
                    {.references = Reference{"users", "id", "CASCADE"}})
            .column(&Post::title, "title", Type::string(200), {.validate = {not_empty()}})
            .column(&Post::status, "status", Type::string(20),
                    {.validate = {is_in({"draft", "published"})}})
            .column(&Post::rating, "rating", Type::integer(),
                    {.validate = {custom("isOdd", is_odd, "must be odd")}});
    return schema;
  }

 private:
  static bool is_odd(std::string_view v) { return !v.empty() && (v.back() - '0') % 2 == 1; }
};

}  // namespace pgtally::orm::test
