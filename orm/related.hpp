// Lazy association accessors on one instance, Sequelize's getOrders / setOrders / addOrder /
// removeOrder / hasOrder / countOrders / createOrder. Every call below sends exactly one
// statement (a NULL key sends none), which is what makes a loop over them an N+1: each
// iteration pays a round trip. Load many parents' associations with an include instead.
//   auto orders = orm::related(db, ada, &User::orders);
//   std::int64_t n = orders.count();         // SELECT count(*) ... WHERE user_id = $1
//   orders.load();                           // SELECT ... WHERE user_id = $1 → ada.orders
//   auto owner = orm::related(db, order, &Order::user).get();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orm/associations.hpp"
#include "orm/database.hpp"
#include "orm/eager_load.hpp"
#include "orm/repository.hpp"

namespace pgtally::orm {

// The statements behind the accessors, for any pair of models (orm/related.cpp).
namespace related_sql {
// SELECT count(*) of the targets of `key`.
std::int64_t count(Executor& executor, const Association& a, const Param& key, const Where& where);
// Whether the target with primary key `target` belongs to `key`.
bool has(Executor& executor, const Association& a, const Param& key, const Param& target);
// hasMany/hasOne: points the targets' foreign key at `key`. belongsToMany: adds the missing
// join rows.
void link(Executor& executor, const Association& a, const Param& key,
          const std::vector<std::string>& targets);
// hasMany/hasOne: sets the targets' foreign key to NULL. belongsToMany: deletes join rows.
void unlink(Executor& executor, const Association& a, const Param& key,
            const std::vector<std::string>& targets);
// Makes `targets` exactly the targets of `key`, in one statement.
void replace(Executor& executor, const Association& a, const Param& key,
             const std::vector<std::string>& targets);
// belongsTo: UPDATE source SET foreign key = target WHERE primary key = source_pk.
void point(Executor& executor, const Association& a, const Param& source_pk, const Param& target);
// Wraps a target's INSERT so that the same statement links it to `key` (belongsToMany: a join
// row; belongsTo: the source row identified by `key`, its primary key, gets the new key).
Statement link_created(const Association& a, Statement insert, const Param& key);
}  // namespace related_sql

// hasMany and belongsToMany, seen from one source instance.
template <Model S, Model T>
class RelatedMany {
 public:
  RelatedMany(Executor& executor, S& source, Many<T> S::*member)
      : executor_(&executor),
        source_(&source),
        member_(member),
        association_(&executor.database().associations().find(member)) {}

  // One SELECT (plus one per separate include in options). Ordered by options.order, then
  // by the target's primary key.
  [[nodiscard]] std::vector<T> get(const IncludeOptions& options = {}) const {
    auto loaded = load_associated(*executor_, *association_, key(), options);
    std::vector<T> out;
    out.reserve(loaded.size());
    for (auto& instance : loaded)
      out.push_back(take<T>(instance));
    return out;
  }
  // get(), kept in the source's member; returns it.
  Many<T>& load(const IncludeOptions& options = {}) {
    (source_->*member_).assign(get(options));
    return source_->*member_;
  }
  // One SELECT count(*).
  [[nodiscard]] std::int64_t count(const Where& where = {}) const {
    return related_sql::count(*executor_, *association_, key(), where);
  }
  // One SELECT.
  [[nodiscard]] bool has(const T& target) const {
    return related_sql::has(*executor_, *association_, key(), target_key(target));
  }
  // One UPDATE (hasMany: the targets' foreign key) or INSERT (belongsToMany: the join rows
  // that are missing). The targets' foreign key is updated in memory too.
  void add(T& target) { add(std::vector<T*>{&target}); }
  void add(const std::vector<T*>& targets) {
    related_sql::link(*executor_, *association_, key(), keys(targets));
    point_in_memory(targets, key());
  }
  // belongsToMany: one INSERT of the join row with its own attributes (link's keys are set
  // here; its hooks and validations run).
  template <Model J>
  J add(const T& target, J link) {
    const auto* through = association_->through();
    if (through == nullptr || through->type() != std::type_index(typeid(J))) {
      throw UsageError(association_->describe() + ": add with a join row needs belongsToMany");
    }
    const Param source = key();
    const std::string other = required_target_key(target);
    through->read(&link, association_->through_source_key(), source->data(), source->size(), false);
    through->read(&link, association_->through_target_key(), other.data(), other.size(), false);
    return Repository<J>(*executor_).create(std::move(link));
  }
  // One UPDATE setting the targets' foreign key to NULL (hasMany; a NOT NULL key makes it a
  // NotNullConstraintError: destroy those rows instead) or one DELETE of join rows.
  void remove(T& target) { remove(std::vector<T*>{&target}); }
  void remove(const std::vector<T*>& targets) {
    related_sql::unlink(*executor_, *association_, key(), keys(targets));
    point_in_memory(targets, std::nullopt);
  }
  // One statement making `targets` exactly the associated set.
  void set(const std::vector<T*>& targets) {
    related_sql::replace(*executor_, *association_, key(), keys(targets));
    point_in_memory(targets, key());
  }
  // One INSERT (hasMany: with the foreign key set; belongsToMany: the join row is inserted by
  // the same statement). Validations and create hooks run.
  T create(T target) {
    const Param source = key();
    if (association_->kind() == AssociationKind::has_many) {
      association_->target().read(&target, association_->target_key(), source->data(),
                                  source->size(), false);
      return Repository<T>(*executor_).create(std::move(target));
    }
    return Repository<T>(*executor_).create(std::move(target), [&](Statement insert) {
      return related_sql::link_created(*association_, std::move(insert), source);
    });
  }

 private:
  [[nodiscard]] Param key() const {
    Param value = association_->source().get(source_, association_->source_key());
    if (!value) throw UsageError(association_->describe() + ": the source's key is NULL");
    return value;
  }
  [[nodiscard]] Param target_key(const T& target) const {
    return association_->target().get(&target, association_->target().require_primary("add"));
  }
  [[nodiscard]] std::string required_target_key(const T& target) const {
    const Param k = target_key(target);
    if (!k) throw UsageError(association_->describe() + ": a target has no primary key yet");
    return *k;
  }
  [[nodiscard]] std::vector<std::string> keys(const std::vector<T*>& targets) const {
    std::vector<std::string> out;
    out.reserve(targets.size());
    for (const T* t : targets)
      out.push_back(required_target_key(*t));
    return out;
  }
  void point_in_memory(const std::vector<T*>& targets, const Param& value) const {
    if (association_->kind() != AssociationKind::has_many) return;
    for (T* t : targets) {
      association_->target().read(t, association_->target_key(), value ? value->data() : nullptr,
                                  value ? value->size() : 0, !value.has_value());
    }
  }

  Executor* executor_;
  S* source_;
  Many<T> S::*member_;
  const Association* association_;
};

// hasOne and belongsTo, seen from one source instance.
template <Model S, Model T>
class RelatedOne {
 public:
  RelatedOne(Executor& executor, S& source, One<T> S::*member)
      : executor_(&executor),
        source_(&source),
        member_(member),
        association_(&executor.database().associations().find(member)) {}

  // One SELECT; none when a belongsTo key is NULL.
  [[nodiscard]] std::optional<T> get(const IncludeOptions& options = {}) const {
    const Param k = key();
    if (!k) return std::nullopt;
    IncludeOptions one = options;
    one.limit = 1;
    auto loaded = load_associated(*executor_, *association_, k, one);
    if (loaded.empty()) return std::nullopt;
    return take<T>(loaded.front());
  }
  // get(), kept in the source's member; returns it.
  One<T>& load(const IncludeOptions& options = {}) {
    auto& holder = source_->*member_;
    if (auto found = get(options)) {
      holder.set(std::move(*found));
    } else {
      holder.reset();
      holder.mark_loaded();
    }
    return holder;
  }
  // belongsTo: one UPDATE of the source's foreign key (also in memory). hasOne: one UPDATE
  // that points target at the source and unsets the previous one.
  void set(T& target) {
    if (association_->kind() == AssociationKind::belongs_to) {
      point(association_->target().get(&target, association_->target_key()));
      return;
    }
    const Param k = require_key();
    related_sql::replace(*executor_, *association_, k, {target_pk(target)});
    association_->target().read(&target, association_->target_key(), k->data(), k->size(), false);
  }
  // belongsTo: one UPDATE setting the source's foreign key to NULL. hasOne: one UPDATE
  // setting the current target's foreign key to NULL.
  void clear() {
    if (association_->kind() == AssociationKind::belongs_to) {
      point(std::nullopt);
      return;
    }
    related_sql::replace(*executor_, *association_, require_key(), {});
  }
  // One statement. hasOne: INSERT with the foreign key set. belongsTo: INSERT of the target
  // and UPDATE of the source's key together (a WITH statement); the key is set in memory.
  T create(T target) {
    if (association_->kind() != AssociationKind::belongs_to) {
      const Param k = require_key();
      association_->target().read(&target, association_->target_key(), k->data(), k->size(), false);
      return Repository<T>(*executor_).create(std::move(target));
    }
    const Param source_pk =
        association_->source().get(source_, association_->source().require_primary("create"));
    T stored = Repository<T>(*executor_).create(std::move(target), [&](Statement insert) {
      return related_sql::link_created(*association_, std::move(insert), source_pk);
    });
    const Param other = association_->target().get(&stored, association_->target_key());
    association_->source().read(source_, association_->source_key(), other->data(), other->size(),
                                false);
    return stored;
  }

 private:
  [[nodiscard]] Param key() const {
    return association_->source().get(source_, association_->source_key());
  }
  [[nodiscard]] Param require_key() const {
    Param value = key();
    if (!value) throw UsageError(association_->describe() + ": the source's key is NULL");
    return value;
  }
  [[nodiscard]] std::string target_pk(const T& target) const {
    const Param k =
        association_->target().get(&target, association_->target().require_primary("set"));
    if (!k) throw UsageError(association_->describe() + ": the target has no primary key yet");
    return *k;
  }
  void point(const Param& target) {
    const Param source_pk =
        association_->source().get(source_, association_->source().require_primary("set"));
    related_sql::point(*executor_, *association_, source_pk, target);
    association_->source().read(source_, association_->source_key(),
                                target ? target->data() : nullptr, target ? target->size() : 0,
                                !target.has_value());
  }

  Executor* executor_;
  S* source_;
  One<T> S::*member_;
  const Association* association_;
};

template <Model S, Model T>
RelatedMany<S, T> related(Executor& executor, S& source, Many<T> S::*member) {
  return RelatedMany<S, T>(executor, source, member);
}
template <Model S, Model T>
RelatedOne<S, T> related(Executor& executor, S& source, One<T> S::*member) {
  return RelatedOne<S, T>(executor, source, member);
}

}  // namespace pgtally::orm
