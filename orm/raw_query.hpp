// Raw SQL with named :replacements, compiled to $n placeholders and bound as parameters (never
// spliced). String literals, quoted identifiers, dollar quotes, comments and ::casts are left
// alone. Rows come back as records, or mapped onto a model by column name.
//   auto rows = orm::query(db, "SELECT id FROM users WHERE email = :email", {{"email", e}});
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orm/executor.hpp"
#include "orm/repository.hpp"

namespace pgtally::orm {

using Replacements = std::map<std::string, Value, std::less<>>;

// ":name" → "$n" (the same name reuses its number). Throws UsageError naming a replacement the
// SQL uses but the map lacks.
Statement compile_named(std::string_view sql, const Replacements& replacements);

// One row of a raw result, read by column name.
class Record {
 public:
  Record(std::shared_ptr<const Result> result, int row) : result_(std::move(result)), row_(row) {}
  // The text form, or nothing for NULL; throws UsageError for a column the result lacks.
  [[nodiscard]] std::optional<std::string_view> text(const std::string& column) const;
  // Typed: get<std::int64_t>("id"), get<std::optional<std::string>>("name").
  template <typename T>
  [[nodiscard]] T get(const std::string& column, const Type& type = Type::text()) const {
    T out{};
    const auto value = text(column);
    FieldTraits<T>::read(out, value ? value->data() : nullptr, value ? value->size() : 0,
                         !value.has_value(), type);
    return out;
  }

 private:
  std::shared_ptr<const Result> result_;
  int row_;
};

class Records {
 public:
  explicit Records(Result result) : result_(std::make_shared<const Result>(std::move(result))) {}
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(result_->rows()); }
  [[nodiscard]] bool empty() const { return size() == 0; }
  [[nodiscard]] Record operator[](std::size_t row) const {
    return Record(result_, static_cast<int>(row));
  }
  [[nodiscard]] std::uint64_t affected() const { return result_->affected(); }
  [[nodiscard]] const Result& result() const { return *result_; }

 private:
  std::shared_ptr<const Result> result_;
};

inline Records query(Executor& executor, std::string_view sql,
                     const Replacements& replacements = {}) {
  return Records(executor.run(compile_named(sql, replacements)));
}

template <Model M>
std::vector<M> query_as(Executor& executor, std::string_view sql,
                        const Replacements& replacements = {}) {
  return map_rows<M>(executor.run(compile_named(sql, replacements)));
}

}  // namespace pgtally::orm
