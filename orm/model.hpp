// Model declarations: a plain struct with typed fields plus a static schema that lists its
// columns in table order with their SQL type and constraints, so the declaration reads like
// CREATE TABLE. The schema maps fields to columns through pointers to members (no macros):
//
//   struct User {
//     std::int64_t id = 0;
//     std::string email;
//     std::optional<std::int32_t> age;
//     static const orm::ModelSchema<User>& schema();
//   };
//   const orm::ModelSchema<User>& User::schema() {
//     using orm::Type;
//     static const auto schema =
//       orm::ModelSchema<User>("users")
//         .underscored()
//         .column(&User::id, "id", Type::bigint(), {.primary_key = true, .auto_increment = true})
//         .column(&User::email, "email", Type::string(255),
//                 {.unique = true, .validate = {orm::is_email()}})
//         .column(&User::age, "age", Type::integer(), {.validate = {orm::min(0)}});
//     return schema;
//   }
// A std::optional field is a NULL-able column; every other field is NOT NULL.
#pragma once

#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "orm/errors.hpp"
#include "orm/types.hpp"
#include "orm/validation.hpp"

namespace pgtally::orm {

struct Reference {
  std::string table{};
  std::string column = "id";
  std::string on_delete{};  // "CASCADE", "SET NULL", ... empty: NO ACTION
};

// What sync and error messages need to know of a column, whatever the model.
struct ColumnInfo {
  std::string attribute;  // the C++ name given in the declaration ("firstName")
  std::string name;       // the SQL column ("first_name" when underscored)
  Type type = Type::text();
  bool primary_key = false;
  bool auto_increment = false;
  bool allow_null = false;
  bool unique = false;
  std::optional<std::string> default_sql;  // DDL DEFAULT expression
  std::optional<Reference> references;
  std::vector<Validator> validators;
  bool explicit_name = false;  // set by field(): underscored() leaves it alone
};

// A table-level constraint or index over one or more SQL columns.
struct UniqueConstraint {
  std::string name;
  std::vector<std::string> columns;
};
struct Index {
  std::string name;
  std::vector<std::string> columns;
};

// A FOREIGN KEY constraint; the association registry declares these (orm/associations.hpp).
struct ForeignKey {
  std::string name;  // <table>_<column>_fkey, PostgreSQL's own default
  std::string table;
  std::string column;
  std::string references_table;
  std::string references_column;
  std::string on_delete;  // "CASCADE", "RESTRICT", "SET NULL"; empty: NO ACTION
};

// What sync needs of a table.
struct TableInfo {
  std::string table;
  std::vector<const ColumnInfo*> columns;
  std::vector<UniqueConstraint> uniques{};
  std::vector<Index> indexes{};
  std::vector<ForeignKey> foreign_keys{};
};

// "firstName" → "first_name".
std::string to_snake_case(std::string_view camel);

// A column's constraints and validations in one braced list, in this order, so that a column
// declaration stays on one line:
//   .column(&User::email, "email", Type::string(255), {.unique = true, .validate = {is_email()}})
struct ColumnOptions {
  bool primary_key = false;
  bool auto_increment = false;
  std::optional<bool> allow_null{};  // default: true exactly for std::optional fields
  bool unique = false;
  std::optional<Value> default_value{};
  std::optional<std::string> default_sql{};  // an expression, e.g. "now()"
  std::optional<Reference> references{};
  std::vector<Validator> validate{};
  std::string field{};  // the SQL column name, when not derived from the attribute
};

// A column of model M: its description plus typed access to the field.
template <typename M>
class Column : public ColumnInfo {
 public:
  virtual ~Column() = default;
  [[nodiscard]] virtual Param get(const M& instance) const = 0;
  virtual void read(M& instance, const char* data, std::size_t length, bool is_null) const = 0;
  [[nodiscard]] virtual bool is_null(const M& instance) const = 0;
  // An auto-increment key still at its default (0 or empty): left to the database on insert.
  [[nodiscard]] virtual bool unset_key(const M& instance) const = 0;
  [[nodiscard]] virtual bool nullable_field() const = 0;
  virtual void set_time(M& instance, Timestamp at) const = 0;  // timestamps only

 protected:
  Column() = default;
  Column(const Column&) = default;
  Column& operator=(const Column&) = default;
  Column(Column&&) noexcept = default;
  Column& operator=(Column&&) noexcept = default;
};

template <typename M, typename T>
class MemberColumn final : public Column<M> {
 public:
  using Traits = FieldTraits<T>;
  explicit MemberColumn(T M::*member) : member_(member) {}
  [[nodiscard]] T M::*member() const { return member_; }

  [[nodiscard]] Param get(const M& instance) const override {
    return Traits::to_param(instance.*member_, this->type);
  }
  void read(M& instance, const char* data, std::size_t length, bool is_null) const override {
    Traits::read(instance.*member_, data, length, is_null, this->type);
  }
  [[nodiscard]] bool is_null(const M& instance) const override {
    return Traits::is_null(instance.*member_);
  }
  [[nodiscard]] bool unset_key(const M& instance) const override {
    if constexpr (std::is_integral_v<typename Traits::Value>) {
      if constexpr (Traits::nullable) {
        return !(instance.*member_).has_value() || *(instance.*member_) == 0;
      } else {
        return instance.*member_ == 0;
      }
    } else {
      return Traits::is_null(instance.*member_);
    }
  }
  [[nodiscard]] bool nullable_field() const override { return Traits::nullable; }
  void set_time(M& instance, Timestamp at) const override {
    if constexpr (std::is_same_v<typename Traits::Value, Timestamp>) instance.*member_ = at;
  }

 private:
  T M::*member_;
};

// The time create and save stamp: now, at the database's microsecond precision.
inline Timestamp now_timestamp() {
  return std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// A model-wide validation: a message when the instance is invalid.
template <typename M>
struct ModelValidator {
  std::string name;
  std::function<std::optional<std::string>(const M&)> check;
};

template <typename M>
class ModelSchema {
 public:
  explicit ModelSchema(std::string table, std::string model_name = {})
      : table_(std::move(table)),
        model_name_(model_name.empty() ? table_ : std::move(model_name)) {}

  // camelCase attributes become snake_case columns (explicit field() names excepted).
  ModelSchema& underscored(bool on = true) {
    underscored_ = on;
    for (auto& c : columns_) {
      if (!c->explicit_name) c->name = on ? to_snake_case(c->attribute) : c->attribute;
    }
    return *this;
  }

  // Declares the next column; the modifiers below apply to it until the next column().
  template <typename T>
  ModelSchema& column(T M::*member, const std::string& attribute, const Type& type) {
    if (!FieldTraits<T>::accepts(type.kind())) {
      throw UsageError(fmt_mismatch(attribute, type));
    }
    auto c = std::make_shared<MemberColumn<M, T>>(member);
    c->name = underscored_ ? to_snake_case(attribute) : attribute;
    c->attribute = attribute;
    c->type = type;
    c->allow_null = FieldTraits<T>::nullable;
    columns_.push_back(c);
    return *this;
  }

  // Declares a column with its options at once (the style the examples use).
  template <typename T>
  ModelSchema& column(T M::*member, const std::string& attribute, const Type& type,
                      ColumnOptions options) {
    column(member, attribute, type);
    if (!options.field.empty()) field(options.field);
    if (options.primary_key) primary_key();
    if (options.auto_increment) auto_increment();
    if (options.allow_null) allow_null(*options.allow_null);
    if (options.unique) unique();
    if (options.default_value) default_value(*options.default_value);
    if (options.default_sql) default_sql(*options.default_sql);
    if (options.references) last().references = std::move(options.references);
    for (auto& v : options.validate)
      validate(std::move(v));
    return *this;
  }

  // Sets the SQL column name of the last column ("field" in Sequelize).
  ModelSchema& field(const std::string& name) {
    last().name = name;
    last().explicit_name = true;
    return *this;
  }
  ModelSchema& primary_key() {
    last().primary_key = true;
    last().allow_null = false;
    return *this;
  }
  ModelSchema& auto_increment() {
    last().auto_increment = true;
    return *this;
  }
  // Only a std::optional field can hold NULL; allow_null(false) on one makes NULL a
  // validation failure and the column NOT NULL.
  ModelSchema& allow_null(bool allowed = true) {
    if (allowed && !last().nullable_field()) {
      throw UsageError(last().attribute + ": allow_null needs a std::optional field");
    }
    last().allow_null = allowed;
    return *this;
  }
  ModelSchema& unique() {
    last().unique = true;
    return *this;
  }
  // A DEFAULT the database applies when an insert leaves the column out (a NULL optional).
  ModelSchema& default_value(const Value& value) {
    last().default_sql = value.text ? quote_literal(*value.text) : std::string("NULL");
    return *this;
  }
  // A DEFAULT expression written by the model's author, e.g. "now()" or "gen_random_uuid()".
  ModelSchema& default_sql(const std::string& expression) {
    last().default_sql = expression;
    return *this;
  }
  ModelSchema& references(std::string table, std::string column = "id",
                          std::string on_delete = {}) {
    last().references = Reference{std::move(table), std::move(column), std::move(on_delete)};
    return *this;
  }
  ModelSchema& validate(Validator validator) {
    last().validators.push_back(std::move(validator));
    return *this;
  }

  // createdAt / updatedAt columns, set by create and save.
  ModelSchema& timestamps(Timestamp M::*created_at, Timestamp M::*updated_at) {
    column(created_at, "createdAt", Type::timestamptz());
    created_ = columns_.back().get();
    column(updated_at, "updatedAt", Type::timestamptz());
    updated_ = columns_.back().get();
    return *this;
  }

  // UNIQUE over several columns (SQL names), e.g. a join table's (product_id, tag_id).
  ModelSchema& unique_constraint(std::string name, std::vector<std::string> columns) {
    uniques_.push_back(UniqueConstraint{std::move(name), std::move(columns)});
    return *this;
  }
  // CREATE INDEX name ON table (columns), created by sync.
  ModelSchema& index(std::string name, std::vector<std::string> columns) {
    indexes_.push_back(Index{std::move(name), std::move(columns)});
    return *this;
  }

  ModelSchema& validate_model(std::string name,
                              std::function<std::optional<std::string>(const M&)> check) {
    model_validators_.push_back(ModelValidator<M>{std::move(name), std::move(check)});
    return *this;
  }

  [[nodiscard]] const std::string& table() const { return table_; }
  [[nodiscard]] const std::string& model_name() const { return model_name_; }
  [[nodiscard]] const std::vector<std::shared_ptr<Column<M>>>& columns() const { return columns_; }
  [[nodiscard]] const Column<M>* created_at() const { return created_; }
  [[nodiscard]] const Column<M>* updated_at() const { return updated_; }
  [[nodiscard]] const std::vector<ModelValidator<M>>& model_validators() const {
    return model_validators_;
  }

  // The primary key column; throws UsageError when the model has none.
  [[nodiscard]] const Column<M>& primary() const {
    for (const auto& c : columns_) {
      if (c->primary_key) return *c;
    }
    throw UsageError(model_name_ + " declares no primary key");
  }

  // The column of a field; throws UsageError when the field is not declared.
  template <typename T>
  [[nodiscard]] const Column<M>& column_of(T M::*member) const {
    for (const auto& c : columns_) {
      const auto* typed = dynamic_cast<const MemberColumn<M, T>*>(c.get());
      if (typed != nullptr && typed->member() == member) return *c;
    }
    throw UsageError(model_name_ + ": this field is not declared as a column");
  }

  [[nodiscard]] const Column<M>* find(std::string_view column_name) const {
    for (const auto& c : columns_) {
      if (c->name == column_name) return c.get();
    }
    return nullptr;
  }

  [[nodiscard]] TableInfo info() const {
    TableInfo t{table_, {}, uniques_, indexes_, {}};
    for (const auto& c : columns_)
      t.columns.push_back(c.get());
    return t;
  }

 private:
  Column<M>& last() {
    if (columns_.empty()) throw UsageError(model_name_ + ": declare a column() first");
    return *columns_.back();
  }
  static std::string fmt_mismatch(const std::string& attribute, const Type& type) {
    return attribute + ": a " + type.describe() +
           " column needs a field of a matching C++ type (see orm/types.hpp)";
  }

  std::string table_;
  std::string model_name_;
  bool underscored_ = false;
  std::vector<std::shared_ptr<Column<M>>> columns_;
  const Column<M>* created_ = nullptr;
  const Column<M>* updated_ = nullptr;
  std::vector<ModelValidator<M>> model_validators_;
  std::vector<UniqueConstraint> uniques_;
  std::vector<Index> indexes_;
};

// A model is a struct with a static schema() returning its ModelSchema.
template <typename M>
concept Model = requires {
  { M::schema() } -> std::convertible_to<const ModelSchema<M>&>;
};

// Runs every declared validation of an instance; throws one ValidationError listing every
// failing field. Called by create, bulkCreate and save before any SQL.
template <Model M>
void validate(const M& instance) {
  const auto& schema = M::schema();
  std::vector<ValidationError::Failure> failures;
  for (const auto& c : schema.columns()) {
    if (c->is_null(instance)) {
      if (!c->allow_null && !(c->auto_increment) && !c->default_sql) {
        failures.push_back({c->attribute, "allowNull", "cannot be null"});
      }
      continue;
    }
    if (c->validators.empty()) continue;
    const Param text = c->get(instance);
    for (const auto& v : c->validators) {
      if (auto message = v.check(*text)) failures.push_back({c->attribute, v.name, *message});
    }
  }
  for (const auto& v : schema.model_validators()) {
    if (auto message = v.check(instance)) failures.push_back({"(model)", v.name, *message});
  }
  if (!failures.empty()) throw ValidationError(schema.model_name(), std::move(failures));
}

}  // namespace pgtally::orm
