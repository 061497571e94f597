// Options of findAll / findOne / count: where, attributes to include or exclude, order, limit,
// offset and eager-loaded associations. Written with designated initializers, as in
// Sequelize's options object:
//   users.find_all({.where = op::gte(&User::age, 18), .order = {desc(&User::id)}, .limit = 10,
//                   .include = {orm::include(&User::orders, {.required = true})}})
#pragma once

#include <any>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "orm/loaded.hpp"
#include "orm/where.hpp"

namespace pgtally::orm {

struct Order {
  std::string column;
  bool descending = false;
};
template <typename M, typename T>
Order asc(T M::*member) {
  return Order{attr(member).name, false};
}
template <typename M, typename T>
Order desc(T M::*member) {
  return Order{attr(member).name, true};
}

struct IncludeOptions;

// An association to load eagerly, named by the member that holds it (see orm/loaded.hpp);
// the Database's association registry says which association that is. Build it with include().
struct Include {
  std::type_index owner;
  std::any member;  // the pointer to member, e.g. Many<Order> User::*
  std::shared_ptr<const IncludeOptions> options;
};

// How one association is loaded along with its parent.
struct IncludeOptions {
  Where where{};                        // on the included model; a JOIN puts it in ON
  std::vector<ColumnRef> attributes{};  // empty: every column (keys are always read)
  std::vector<Order> order{};           // of the included rows within each parent
  bool required = false;                // INNER JOIN: parents without a matching row are left out
  bool separate = false;  // one more query for this level (WHERE key = ANY($1)), not a JOIN
  std::optional<std::int64_t> limit{};  // per parent; separate hasMany includes only
  std::vector<Include> include{};       // nested, to any depth
};

template <typename M, typename T>
Include include(Many<T> M::*member, IncludeOptions options = {}) {
  return Include{std::type_index(typeid(M)), std::any(member),
                 std::make_shared<const IncludeOptions>(std::move(options))};
}
template <typename M, typename T>
Include include(One<T> M::*member, IncludeOptions options = {}) {
  return Include{std::type_index(typeid(M)), std::any(member),
                 std::make_shared<const IncludeOptions>(std::move(options))};
}

struct FindOptions {
  Where where{};
  std::vector<ColumnRef> attributes{};  // empty: every column
  std::vector<ColumnRef> exclude{};     // left out of the select list
  std::vector<Order> order{};
  std::optional<std::int64_t> limit{};
  std::optional<std::int64_t> offset{};
  std::vector<Include> include{};  // associations loaded with the rows (orm/eager_load.hpp)
};

// A column assignment for bulk update: set(&User::age, 31).
struct Assignment {
  std::string column;
  Param value;
  const ColumnInfo* info = nullptr;
};
template <typename M, typename T>
Assignment set(T M::*member, const typename FieldTraits<T>::Value& value) {
  const auto& column = M::schema().column_of(member);
  return Assignment{column.name, op::bind(member, value), &column};
}
template <typename M, typename T>
Assignment set_null(T M::*member) {
  const auto& column = M::schema().column_of(member);
  return Assignment{column.name, std::nullopt, &column};
}

}  // namespace pgtally::orm
