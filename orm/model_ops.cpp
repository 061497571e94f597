#include "orm/model_ops.hpp"

#include <fmt/format.h>

namespace pgtally::orm {

ModelOps::ModelOps(std::type_index type, std::string model_name, std::string table,
                   std::vector<const ColumnInfo*> columns)
    : type_(type),
      model_name_(std::move(model_name)),
      table_(std::move(table)),
      columns_(std::move(columns)) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i]->primary_key) {
      primary_ = i;
      break;
    }
  }
}

std::size_t ModelOps::require_primary(std::string_view for_what) const {
  if (!primary_) {
    throw UsageError(
        fmt::format("{} declares no primary key, which {} needs", model_name_, for_what));
  }
  return *primary_;
}

std::size_t ModelOps::index_of(std::string_view column_name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i]->name == column_name) return i;
  }
  throw UsageError(fmt::format("{} has no column {}", model_name_, column_name));
}

}  // namespace pgtally::orm
