// Where clauses: eq, ne, gt, gte, lt, lte, in, not_in, like, ilike, between, is_null,
// is_not_null, and_, or_, not_ (also &&, ||, !), built from typed pointers to members. Values
// are converted with the column's type and rendered as $n parameters, never into the text.
//   where(op::eq(&User::email, "a@b.c") && op::gte(&User::age, 18))
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orm/model.hpp"

namespace pgtally::orm {

// A condition tree. Empty means "every row".
class Where {
 public:
  Where() = default;

  [[nodiscard]] bool empty() const { return node_ == nullptr; }
  // Appends the condition to sql, numbering placeholders after those already in params.
  // With a table alias, columns are qualified by it ("orders"."status"), as statements that
  // join several tables need.
  void render(std::string& sql, std::vector<Param>& params,
              std::string_view table_alias = {}) const;

  // Building blocks; prefer the typed functions in orm::op.
  static Where compare(std::string column, std::string op, Param value);
  static Where in_list(std::string column, bool negated, std::vector<Param> values);
  static Where between(std::string column, Param low, Param high);
  static Where null_check(std::string column, bool negated);
  static Where all_of(std::vector<Where> input);
  static Where any_of(std::vector<Where> input);
  static Where negate(Where part);

  friend Where operator&&(Where a, Where b) { return all_of({std::move(a), std::move(b)}); }
  friend Where operator||(Where a, Where b) { return any_of({std::move(a), std::move(b)}); }
  friend Where operator!(Where a) { return negate(std::move(a)); }

 private:
  struct Node;
  // all_of (all = true) and any_of share this.
  static Where group(std::vector<Where> input, bool all);
  explicit Where(std::shared_ptr<const Node> node) : node_(std::move(node)) {}
  static void render(const Node& node, std::string& sql, std::vector<Param>& params,
                     std::string_view table_alias);
  std::shared_ptr<const Node> node_;
};

// `"alias"."column"`, or `"column"` when the alias is empty.
std::string qualified(std::string_view table_alias, std::string_view column);

// The SQL name of a field's column, for attributes and order.
struct ColumnRef {
  std::string name;
};
template <typename M, typename T>
ColumnRef attr(T M::*member) {
  return ColumnRef{M::schema().column_of(member).name};
}

namespace op {

template <typename T>
using ValueOf = typename FieldTraits<T>::Value;

template <typename M, typename T>
Param bind(T M::*member, const ValueOf<T>& value) {
  return ValueTraits<ValueOf<T>>::to_text(value, M::schema().column_of(member).type);
}

template <typename M, typename T>
Where compare(T M::*member, const char* sql_op, const ValueOf<T>& value) {
  return Where::compare(attr(member).name, sql_op, bind(member, value));
}

template <typename M, typename T>
Where eq(T M::*m, const ValueOf<T>& v) {
  return compare(m, "=", v);
}
template <typename M, typename T>
Where ne(T M::*m, const ValueOf<T>& v) {
  return compare(m, "<>", v);
}
template <typename M, typename T>
Where gt(T M::*m, const ValueOf<T>& v) {
  return compare(m, ">", v);
}
template <typename M, typename T>
Where gte(T M::*m, const ValueOf<T>& v) {
  return compare(m, ">=", v);
}
template <typename M, typename T>
Where lt(T M::*m, const ValueOf<T>& v) {
  return compare(m, "<", v);
}
template <typename M, typename T>
Where lte(T M::*m, const ValueOf<T>& v) {
  return compare(m, "<=", v);
}
template <typename M, typename T>
Where like(T M::*m, const std::string& pattern) {
  return Where::compare(attr(m).name, "LIKE", pattern);
}
template <typename M, typename T>
Where ilike(T M::*m, const std::string& pattern) {
  return Where::compare(attr(m).name, "ILIKE", pattern);
}
template <typename M, typename T>
Where in(T M::*m, const std::vector<ValueOf<T>>& values) {
  std::vector<Param> params;
  params.reserve(values.size());
  for (const auto& v : values)
    params.push_back(bind(m, v));
  return Where::in_list(attr(m).name, false, std::move(params));
}
template <typename M, typename T>
Where not_in(T M::*m, const std::vector<ValueOf<T>>& values) {
  std::vector<Param> params;
  params.reserve(values.size());
  for (const auto& v : values)
    params.push_back(bind(m, v));
  return Where::in_list(attr(m).name, true, std::move(params));
}
template <typename M, typename T>
Where between(T M::*m, const ValueOf<T>& low, const ValueOf<T>& high) {
  return Where::between(attr(m).name, bind(m, low), bind(m, high));
}
template <typename M, typename T>
Where is_null(T M::*m) {
  return Where::null_check(attr(m).name, false);
}
template <typename M, typename T>
Where is_not_null(T M::*m) {
  return Where::null_check(attr(m).name, true);
}
template <typename... W>
Where and_(W... parts) {
  return Where::all_of({std::move(parts)...});
}
template <typename... W>
Where or_(W... parts) {
  return Where::any_of({std::move(parts)...});
}
inline Where not_(Where part) {
  return Where::negate(std::move(part));
}

}  // namespace op
}  // namespace pgtally::orm
