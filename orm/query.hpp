// Options of findAll / findOne / count: where, attributes to include or exclude, order, limit
// and offset. Written with designated initializers, as in Sequelize's options object:
//   users.find_all({.where = op::gte(&User::age, 18), .order = {desc(&User::id)}, .limit = 10})
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

struct FindOptions {
  Where where{};
  std::vector<ColumnRef> attributes{};  // empty: every column
  std::vector<ColumnRef> exclude{};     // left out of the select list
  std::vector<Order> order{};
  std::optional<std::int64_t> limit{};
  std::optional<std::int64_t> offset{};
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
