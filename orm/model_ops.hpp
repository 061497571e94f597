// A model seen without its C++ type: its table, columns and primary key, and how to create,
// copy, read and write an instance through a type-erased pointer. The eager loader and the
// association registry work on these, so one loader serves every model; model_ops<M>() gives
// the one instance per model.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "orm/model.hpp"

namespace pgtally::orm {

// An instance of some model, owned, with the deleter of its type.
using Instance = std::unique_ptr<void, void (*)(void*)>;

class ModelOps {
 public:
  virtual ~ModelOps() = default;
  ModelOps(const ModelOps&) = delete;
  ModelOps& operator=(const ModelOps&) = delete;
  ModelOps(ModelOps&&) = delete;
  ModelOps& operator=(ModelOps&&) = delete;

  [[nodiscard]] std::type_index type() const { return type_; }
  [[nodiscard]] const std::string& model_name() const { return model_name_; }
  [[nodiscard]] const std::string& table() const { return table_; }
  // In declaration order; a column's index here is how the other calls name it.
  [[nodiscard]] const std::vector<const ColumnInfo*>& columns() const { return columns_; }
  [[nodiscard]] std::optional<std::size_t> primary() const { return primary_; }
  // The primary key's index; throws UsageError naming why it is needed when there is none.
  [[nodiscard]] std::size_t require_primary(std::string_view for_what) const;
  // The index of a SQL column name; throws UsageError when the model has no such column.
  [[nodiscard]] std::size_t index_of(std::string_view column_name) const;

  [[nodiscard]] virtual Instance make() const = 0;
  [[nodiscard]] virtual Instance copy(const void* instance) const = 0;
  // Reads PostgreSQL text (or NULL) into one field.
  virtual void read(void* instance, std::size_t column, const char* data, std::size_t length,
                    bool is_null) const = 0;
  // One field as a bound parameter's text (nullopt for NULL).
  [[nodiscard]] virtual Param get(const void* instance, std::size_t column) const = 0;

 protected:
  ModelOps(std::type_index type, std::string model_name, std::string table,
           std::vector<const ColumnInfo*> columns);

 private:
  std::type_index type_;
  std::string model_name_;
  std::string table_;
  std::vector<const ColumnInfo*> columns_;
  std::optional<std::size_t> primary_;
};

template <Model M>
class TypedModelOps final : public ModelOps {
 public:
  TypedModelOps() : ModelOps(typeid(M), schema().model_name(), schema().table(), infos()) {}

  [[nodiscard]] Instance make() const override { return Instance(new M(), &destroy); }
  [[nodiscard]] Instance copy(const void* instance) const override {
    return Instance(new M(*static_cast<const M*>(instance)), &destroy);
  }
  void read(void* instance, std::size_t column, const char* data, std::size_t length,
            bool is_null) const override {
    schema().columns()[column]->read(*static_cast<M*>(instance), data, length, is_null);
  }
  [[nodiscard]] Param get(const void* instance, std::size_t column) const override {
    return schema().columns()[column]->get(*static_cast<const M*>(instance));
  }

 private:
  static const ModelSchema<M>& schema() { return M::schema(); }
  static void destroy(void* instance) { delete static_cast<M*>(instance); }
  static std::vector<const ColumnInfo*> infos() {
    std::vector<const ColumnInfo*> out;
    for (const auto& c : schema().columns())
      out.push_back(c.get());
    return out;
  }
};

template <Model M>
const ModelOps& model_ops() {
  static const TypedModelOps<M> ops;
  return ops;
}

// Takes the model out of an Instance made by model_ops<M>().
template <Model M>
M take(Instance& instance) {
  return std::move(*static_cast<M*>(instance.get()));
}

}  // namespace pgtally::orm
