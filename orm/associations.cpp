#include "orm/associations.hpp"

#include <fmt/format.h>

namespace pgtally::orm {
namespace {

bool has_side(AssociationKind kind) {
  return kind == AssociationKind::has_one || kind == AssociationKind::has_many;
}

// Whether b is the inverse of a: the same pair of models, the same key column.
bool inverse_of(const Association& a, const Association& b) {
  if (&a == &b || a.source().type() != b.target().type() ||
      a.target().type() != b.source().type()) {
    return false;
  }
  switch (a.kind()) {
    case AssociationKind::has_one:
    case AssociationKind::has_many:
      return b.kind() == AssociationKind::belongs_to && b.source_key() == a.target_key();
    case AssociationKind::belongs_to:
      return has_side(b.kind()) && b.target_key() == a.source_key();
    case AssociationKind::belongs_to_many:
      return b.kind() == AssociationKind::belongs_to_many && b.through() != nullptr &&
             a.through() != nullptr && b.through()->type() == a.through()->type() &&
             b.through_source_key() == a.through_target_key() &&
             b.through_target_key() == a.through_source_key();
  }
  return false;
}

std::string missing_inverse(const Association& a) {
  switch (a.kind()) {
    case AssociationKind::has_one:
    case AssociationKind::has_many:
      return fmt::format(
          "{} has no inverse: declare belongs_to(&{}::<member>, &{}::{}, {{.as = ...}}) beside it",
          a.describe(), a.target().model_name(), a.target().model_name(),
          a.target().columns()[a.target_key()]->attribute);
    case AssociationKind::belongs_to:
      return fmt::format(
          "{} has no inverse: declare has_many (or has_one)(&{}::<member>, &{}::{}, "
          "{{.as = ...}}) beside it",
          a.describe(), a.target().model_name(), a.source().model_name(),
          a.source().columns()[a.source_key()]->attribute);
    case AssociationKind::belongs_to_many:
      return fmt::format(
          "{} has no inverse: declare belongs_to_many(&{}::<member>, ...) through {} with the "
          "two keys swapped beside it",
          a.describe(), a.target().model_name(), a.through()->model_name());
  }
  return a.describe() + " has no inverse";
}

}  // namespace

void throw_not_loaded(const std::string& model, const char* holder) {
  throw UsageError(fmt::format(
      "this {}<{}> association was not loaded: include it in the query (find options "
      ".include) or load it with orm::related(executor, instance, &Model::member).get()",
      holder, model));
}

const char* to_string(AssociationKind kind) {
  switch (kind) {
    case AssociationKind::has_one:
      return "hasOne";
    case AssociationKind::has_many:
      return "hasMany";
    case AssociationKind::belongs_to:
      return "belongsTo";
    case AssociationKind::belongs_to_many:
      return "belongsToMany";
  }
  return "association";
}

Association::Association(AssociationKind kind, AssociationOptions options, const ModelOps& source,
                         const ModelOps& target, const ModelOps* through, Keys keys)
    : kind_(kind),
      options_(std::move(options)),
      source_(&source),
      target_(&target),
      through_(through),
      source_key_(keys.source),
      target_key_(keys.target),
      through_source_key_(keys.through_source),
      through_target_key_(keys.through_target) {}

std::string Association::describe() const {
  const auto column = [](const ModelOps& m, std::size_t i) {
    return m.table() + "." + m.columns()[i]->name;
  };
  std::string key;
  switch (kind_) {
    case AssociationKind::has_one:
    case AssociationKind::has_many:
      key = "key " + column(*target_, target_key_);
      break;
    case AssociationKind::belongs_to:
      key = "key " + column(*source_, source_key_);
      break;
    case AssociationKind::belongs_to_many:
      key = fmt::format("through {} and {}", column(*through_, through_source_key_),
                        through_->columns()[through_target_key_]->name);
      break;
  }
  return fmt::format("{}.{} ({} {}, {})", source_->model_name(), options_.as, to_string(kind_),
                     target_->model_name(), key);
}

std::string Associations::fmt_problem(AssociationKind kind, const AssociationOptions& options,
                                      const char* what) {
  return fmt::format("{} '{}': {}", to_string(kind), options.as, what);
}

Associations& Associations::validate() {
  std::vector<std::string> problems = problems_;
  for (std::size_t i = 0; i < sides_.size(); ++i) {
    Association& a = *sides_[i];
    a.inverse_ = nullptr;
    if (a.as().empty()) {
      problems.push_back(a.describe() + ": name it with {.as = \"...\"}");
    }
    if (has_side(a.kind()) && !a.on_delete().empty()) {
      problems.push_back(a.describe() +
                         ": on_delete belongs on the belongs_to side, where the foreign key is");
    }
    for (std::size_t j = 0; j < i; ++j) {
      const Association& b = *sides_[j];
      if (a.source().type() == b.source().type() && a.as() == b.as()) {
        problems.push_back(fmt::format("{} declares two associations named '{}'",
                                       a.source().model_name(), a.as()));
      }
    }
    std::vector<const Association*> inverses;
    for (const auto& b : sides_) {
      if (inverse_of(a, *b)) inverses.push_back(b.get());
    }
    if (inverses.empty()) {
      problems.push_back(missing_inverse(a));
    } else if (inverses.size() > 1 && a.kind() != AssociationKind::belongs_to) {
      problems.push_back(fmt::format("{} has {} inverses ({} and {}): keep one", a.describe(),
                                     inverses.size(), inverses[0]->describe(),
                                     inverses[1]->describe()));
    } else {
      a.inverse_ = inverses.front();
    }
  }
  if (!problems.empty()) {
    std::string message =
        fmt::format("the association registry has {} problem(s):", problems.size());
    for (const auto& p : problems)
      message += "\n  - " + p;
    throw AssociationError(message);
  }
  validated_ = true;
  return *this;
}

const Association& Associations::find(std::type_index owner, const std::any& member) const {
  if (!validated_) {
    throw AssociationError(
        "the association registry was not validated: call validate() after the declarations");
  }
  for (const auto& side : sides_) {
    if (side->holds(owner, member)) return *side;
  }
  std::string model = owner.name();
  for (const auto& side : sides_) {
    if (side->source().type() == owner) model = side->source().model_name();
  }
  throw AssociationError(
      fmt::format("this member of {} is not a declared association: declare it in the registry "
                  "(has_many, has_one, belongs_to or belongs_to_many)",
                  model));
}

std::vector<ForeignKey> Associations::foreign_keys() const {
  std::vector<ForeignKey> out;
  const auto key = [](const ModelOps& table, std::size_t column, const ModelOps& referenced,
                      const std::string& on_delete) {
    const std::string& name = table.columns()[column]->name;
    return ForeignKey{table.table() + "_" + name + "_fkey",
                      table.table(),
                      name,
                      referenced.table(),
                      referenced.columns()[referenced.require_primary("a foreign key")]->name,
                      on_delete};
  };
  for (const auto& side : sides_) {
    if (side->kind() == AssociationKind::belongs_to) {
      out.push_back(key(side->source(), side->source_key(), side->target(), side->on_delete()));
    } else if (side->kind() == AssociationKind::belongs_to_many) {
      out.push_back(
          key(*side->through(), side->through_source_key(), side->source(), side->on_delete()));
    }
  }
  return out;
}

}  // namespace pgtally::orm
