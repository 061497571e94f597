// The association registry: every hasOne, hasMany, belongsTo and belongsToMany of an
// application, declared in one place, both sides of each pair side by side. Each side names
// the member that holds the loaded instances (orm::Many / orm::One), the foreign key, and an
// alias. validate() pairs every side with its inverse and throws AssociationError (PGT05)
// listing each gap; includes, lazy accessors and sync read the validated registry.
//   static const orm::Associations registry = [] {
//     orm::Associations a;
//     a.has_many(&User::orders, &Order::userId, {.as = "orders"});
//     a.belongs_to(&Order::user, &Order::userId, {.as = "user", .on_delete = "CASCADE"});
//     a.validate();
//     return a;
//   }();
// The Database finds it through Config::associations.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "orm/loaded.hpp"
#include "orm/model.hpp"
#include "orm/model_ops.hpp"

namespace pgtally::orm {

enum class AssociationKind : std::uint8_t { has_one, has_many, belongs_to, belongs_to_many };
// Sequelize's names: "hasOne", "hasMany", "belongsTo", "belongsToMany".
const char* to_string(AssociationKind kind);

struct AssociationOptions {
  std::string as;           // the alias: names the association in SQL and in errors
  std::string on_delete{};  // belongs_to and belongs_to_many (the side with the key): the
                            // foreign key's ON DELETE ("CASCADE", "RESTRICT", "SET NULL")
};

// One side of a pair, seen without its C++ types: what the eager loader, the lazy accessors
// and sync need. Keys are column indexes into the models' ModelOps.
class Association {
 public:
  virtual ~Association() = default;
  Association(const Association&) = delete;
  Association& operator=(const Association&) = delete;
  Association(Association&&) = delete;
  Association& operator=(Association&&) = delete;

  [[nodiscard]] AssociationKind kind() const { return kind_; }
  [[nodiscard]] const std::string& as() const { return options_.as; }
  [[nodiscard]] const std::string& on_delete() const { return options_.on_delete; }
  [[nodiscard]] const ModelOps& source() const { return *source_; }
  [[nodiscard]] const ModelOps& target() const { return *target_; }
  // The join model of a belongsToMany; null otherwise.
  [[nodiscard]] const ModelOps* through() const { return through_; }
  // hasOne/hasMany: the source's primary key and the target's foreign key. belongsTo: the
  // source's foreign key and the target's primary key. belongsToMany: both primary keys.
  [[nodiscard]] std::size_t source_key() const { return source_key_; }
  [[nodiscard]] std::size_t target_key() const { return target_key_; }
  // belongsToMany: the join model's columns that point at the source and at the target.
  [[nodiscard]] std::size_t through_source_key() const { return through_source_key_; }
  [[nodiscard]] std::size_t through_target_key() const { return through_target_key_; }
  [[nodiscard]] const Association* inverse() const { return inverse_; }
  [[nodiscard]] bool collection() const {
    return kind_ == AssociationKind::has_many || kind_ == AssociationKind::belongs_to_many;
  }
  // Whether the target holds the join model's row (belongsToMany with a through member).
  [[nodiscard]] virtual bool carries_through() const { return false; }
  // "User.orders (hasMany Order, key orders.user_id)".
  [[nodiscard]] std::string describe() const;

  // Whether `member` (a pointer to member of `owner`, in a std::any) is this side's holder.
  [[nodiscard]] virtual bool holds(std::type_index owner, const std::any& member) const = 0;
  // Marks the source's holder loaded (and empty, until attach adds to it).
  virtual void mark_loaded(void* source) const = 0;
  // Moves a target instance into the source's holder.
  virtual void attach(void* source, Instance target) const = 0;
  // Moves the join model's row into the target's through member (no-op without one).
  virtual void attach_through(void* target, Instance through) const = 0;

 protected:
  struct Keys {
    std::size_t source = 0;
    std::size_t target = 0;
    std::size_t through_source = 0;
    std::size_t through_target = 0;
  };
  Association(AssociationKind kind, AssociationOptions options, const ModelOps& source,
              const ModelOps& target, const ModelOps* through, Keys keys);

 private:
  friend class Associations;
  AssociationKind kind_;
  AssociationOptions options_;
  const ModelOps* source_;
  const ModelOps* target_;
  const ModelOps* through_;
  std::size_t source_key_;
  std::size_t target_key_;
  std::size_t through_source_key_;
  std::size_t through_target_key_;
  const Association* inverse_ = nullptr;
};

// hasOne, hasMany and belongsTo: Holder is Many<T> or One<T>, a member of S.
template <Model S, Model T, typename Holder>
class DirectAssociation final : public Association {
 public:
  DirectAssociation(AssociationKind kind, AssociationOptions options, Holder S::*holder, Keys keys)
      : Association(kind, std::move(options), model_ops<S>(), model_ops<T>(), nullptr, keys),
        holder_(holder) {}

  [[nodiscard]] bool holds(std::type_index owner, const std::any& member) const override {
    const auto* typed = std::any_cast<Holder S::*>(&member);
    return owner == std::type_index(typeid(S)) && typed != nullptr && *typed == holder_;
  }
  void mark_loaded(void* source) const override {
    (static_cast<S*>(source)->*holder_).mark_loaded();
  }
  void attach(void* source, Instance target) const override {
    auto& holder = static_cast<S*>(source)->*holder_;
    if constexpr (std::is_same_v<Holder, Many<T>>) {
      holder.push_back(take<T>(target));
    } else {
      holder.set(take<T>(target));
    }
  }
  void attach_through(void*, Instance) const override {}

 private:
  Holder S::*holder_;
};

// belongsToMany through the join model J; the target may hold J's row in a One<J> member.
template <Model S, Model T, Model J>
class ThroughAssociation final : public Association {
 public:
  ThroughAssociation(AssociationOptions options, Many<T> S::*holder, One<J> T::*through_holder,
                     Keys keys)
      : Association(AssociationKind::belongs_to_many, std::move(options), model_ops<S>(),
                    model_ops<T>(), &model_ops<J>(), keys),
        holder_(holder),
        through_holder_(through_holder) {}

  [[nodiscard]] bool carries_through() const override { return through_holder_ != nullptr; }
  [[nodiscard]] bool holds(std::type_index owner, const std::any& member) const override {
    const auto* typed = std::any_cast<Many<T> S::*>(&member);
    return owner == std::type_index(typeid(S)) && typed != nullptr && *typed == holder_;
  }
  void mark_loaded(void* source) const override {
    (static_cast<S*>(source)->*holder_).mark_loaded();
  }
  void attach(void* source, Instance target) const override {
    (static_cast<S*>(source)->*holder_).push_back(take<T>(target));
  }
  void attach_through(void* target, Instance through) const override {
    if (through_holder_ != nullptr) {
      (static_cast<T*>(target)->*through_holder_).set(take<J>(through));
    }
  }

 private:
  Many<T> S::*holder_;
  One<J> T::*through_holder_;
};

class Associations {
 public:
  Associations() = default;
  Associations(Associations&&) noexcept = default;
  Associations& operator=(Associations&&) noexcept = default;
  Associations(const Associations&) = delete;
  Associations& operator=(const Associations&) = delete;
  ~Associations() = default;

  // S hasMany T: T's foreign_key column holds S's primary key. Pair it with belongs_to.
  template <Model S, Model T, typename K>
  Associations& has_many(Many<T> S::*holder, K T::*foreign_key, AssociationOptions options) {
    return add_owning(AssociationKind::has_many, holder, foreign_key, options);
  }

  // S hasOne T: as hasMany, with at most one T per S. Pair it with belongs_to.
  template <Model S, Model T, typename K>
  Associations& has_one(One<T> S::*holder, K T::*foreign_key, AssociationOptions options) {
    return add_owning(AssociationKind::has_one, holder, foreign_key, options);
  }

  // S belongsTo T: S's foreign_key column holds T's primary key; sync creates the FOREIGN KEY
  // with options.on_delete. Pair it with has_many or has_one.
  template <Model S, Model T, typename K>
  Associations& belongs_to(One<T> S::*holder, K S::*foreign_key, AssociationOptions options) {
    return add(AssociationKind::belongs_to, options, [&](auto keys) {
      keys.source = key_index(foreign_key);
      keys.target = source_primary<T>();
      return std::make_unique<DirectAssociation<S, T, One<T>>>(AssociationKind::belongs_to, options,
                                                               holder, keys);
    });
  }

  // S belongsToMany T through the join model J: J's source_key points at S, its target_key at
  // T; sync creates the FOREIGN KEY on source_key with options.on_delete. Pair it with the
  // belongs_to_many of T through J with the keys swapped.
  template <Model S, Model T, Model J, typename K1, typename K2>
  Associations& belongs_to_many(Many<T> S::*holder, K1 J::*source_key, K2 J::*target_key,
                                AssociationOptions options) {
    return belongs_to_many(holder, source_key, target_key, static_cast<One<J> T::*>(nullptr),
                           std::move(options));
  }
  // The same, and each loaded T also holds its J row (the join model's own attributes).
  template <Model S, Model T, Model J, typename K1, typename K2>
  Associations& belongs_to_many(Many<T> S::*holder, K1 J::*source_key, K2 J::*target_key,
                                One<J> T::*through, AssociationOptions options) {
    return add(AssociationKind::belongs_to_many, options, [&](auto keys) {
      keys.source = source_primary<S>();
      keys.target = source_primary<T>();
      keys.through_source = key_index(source_key);
      keys.through_target = key_index(target_key);
      return std::make_unique<ThroughAssociation<S, T, J>>(options, holder, through, keys);
    });
  }

  // Pairs every side with its inverse and checks aliases and keys; throws AssociationError
  // (PGT05) naming every problem. Lookups refuse an unvalidated registry.
  Associations& validate();
  [[nodiscard]] bool validated() const { return validated_; }

  // The side whose holder is `member` of `owner`; throws AssociationError when none is.
  [[nodiscard]] const Association& find(std::type_index owner, const std::any& member) const;
  template <typename S, typename H>
  [[nodiscard]] const Association& find(H S::*member) const {
    return find(std::type_index(typeid(S)), std::any(member));
  }
  [[nodiscard]] const std::vector<std::unique_ptr<Association>>& all() const { return sides_; }

  // The FOREIGN KEY constraints the declarations imply (belongsTo and belongsToMany sides),
  // named <table>_<column>_fkey.
  [[nodiscard]] std::vector<ForeignKey> foreign_keys() const;

 private:
  using Keys = Association::Keys;

  // Declaration errors are kept until validate() reports them all at once.
  template <typename Make>
  Associations& add(AssociationKind kind, const AssociationOptions& options, Make make) {
    try {
      sides_.push_back(make(Keys{}));
    } catch (const Error& e) {
      problems_.push_back(fmt_problem(kind, options, e.what()));
    }
    validated_ = false;
    return *this;
  }
  static std::string fmt_problem(AssociationKind kind, const AssociationOptions& options,
                                 const char* what);

  // hasMany and hasOne: T's foreign_key column holds S's primary key; `Holder` is Many<T> or
  // One<T>.
  template <Model S, Model T, typename Holder, typename K>
  Associations& add_owning(AssociationKind kind, Holder S::*holder, K T::*foreign_key,
                           const AssociationOptions& options) {
    return add(kind, options, [&](auto keys) {
      keys.source = source_primary<S>();
      keys.target = key_index(foreign_key);
      return std::make_unique<DirectAssociation<S, T, Holder>>(kind, options, holder, keys);
    });
  }

  template <Model M>
  static std::size_t source_primary() {
    return model_ops<M>().require_primary("an association key");
  }
  template <Model M, typename K>
  static std::size_t key_index(K M::*member) {
    return model_ops<M>().index_of(M::schema().column_of(member).name);
  }

  std::vector<std::unique_ptr<Association>> sides_;
  std::vector<std::string> problems_;
  bool validated_ = false;
};

}  // namespace pgtally::orm
