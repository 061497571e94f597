// The members a model uses to hold associated instances: Many<T> for hasMany and belongsToMany,
// One<T> for hasOne and belongsTo. Each knows whether it was loaded (by an include or a lazy
// accessor), so reading an association nobody loaded is an error instead of a silent empty list:
//   struct User { ...; orm::Many<Order> orders; };
//   struct Order { ...; orm::One<User> user; };
// Both work with a target type that is still incomplete where the member is declared.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "orm/errors.hpp"

namespace pgtally::orm {

// Thrown message for reading an association that was not loaded.
[[noreturn]] void throw_not_loaded(const std::string& model, const char* holder);

template <typename T>
class Many {
 public:
  using value_type = T;

  // Declared here and defaulted below the class: clang 14 with libstdc++ 12 would otherwise
  // instantiate std::vector<T>'s constexpr members where a model declares the member, while T
  // is still incomplete.
  Many();
  ~Many();
  Many(const Many& other);
  Many(Many&& other) noexcept;
  Many& operator=(const Many& other);
  Many& operator=(Many&& other) noexcept;
  // A loaded collection (what includes and lazy get produce).
  explicit Many(std::vector<T> items) : items_(std::move(items)), loaded_(true) {}

  [[nodiscard]] bool loaded() const { return loaded_; }

  // The instances; each throws UsageError when the association was not loaded.
  [[nodiscard]] const std::vector<T>& items() const {
    require();
    return items_;
  }
  [[nodiscard]] std::vector<T>& items() {
    require();
    return items_;
  }
  [[nodiscard]] std::size_t size() const { return items().size(); }
  [[nodiscard]] bool empty() const { return items().empty(); }
  [[nodiscard]] const T& operator[](std::size_t i) const { return items()[i]; }
  [[nodiscard]] T& operator[](std::size_t i) { return items()[i]; }
  [[nodiscard]] auto begin() const { return items().begin(); }
  [[nodiscard]] auto end() const { return items_.end(); }
  [[nodiscard]] auto begin() { return items().begin(); }
  [[nodiscard]] auto end() { return items_.end(); }

  // Replaces the content and marks it loaded.
  void assign(std::vector<T> items) {
    items_ = std::move(items);
    loaded_ = true;
  }
  void push_back(T item) {
    items_.push_back(std::move(item));
    loaded_ = true;
  }
  void mark_loaded() { loaded_ = true; }
  // Back to "not loaded".
  void reset() {
    items_.clear();
    loaded_ = false;
  }

  friend bool operator==(const Many& a, const Many& b) {
    return a.loaded_ == b.loaded_ && a.items_ == b.items_;
  }

 private:
  void require() const {
    if (!loaded_) throw_not_loaded(T::schema().model_name(), "Many");
  }

  std::vector<T> items_;
  bool loaded_ = false;
};

template <typename T>
Many<T>::Many() = default;
template <typename T>
Many<T>::~Many() = default;
template <typename T>
Many<T>::Many(const Many&) = default;
template <typename T>
Many<T>::Many(Many&&) noexcept = default;
template <typename T>
Many<T>& Many<T>::operator=(const Many&) = default;
template <typename T>
Many<T>& Many<T>::operator=(Many&&) noexcept = default;

template <typename T>
class One {
 public:
  One() = default;
  ~One() = default;
  One(const One& other)
      : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr),
        loaded_(other.loaded_) {}
  One& operator=(const One& other) {
    if (this != &other) {
      value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
      loaded_ = other.loaded_;
    }
    return *this;
  }
  One(One&&) noexcept = default;
  One& operator=(One&&) noexcept = default;

  [[nodiscard]] bool loaded() const { return loaded_; }
  // Whether an instance is there; throws UsageError when the association was not loaded.
  [[nodiscard]] bool has_value() const {
    require();
    return value_ != nullptr;
  }
  explicit operator bool() const { return has_value(); }
  // The instance, or nullptr when loaded and absent (a NULL foreign key, no matching row).
  [[nodiscard]] const T* get() const {
    require();
    return value_.get();
  }
  [[nodiscard]] T* get() {
    require();
    return value_.get();
  }
  // The instance; throws UsageError when not loaded or absent.
  [[nodiscard]] const T& value() const {
    if (get() == nullptr) throw UsageError(T::schema().model_name() + " is absent (loaded: none)");
    return *value_;
  }
  [[nodiscard]] T& value() {
    if (get() == nullptr) throw UsageError(T::schema().model_name() + " is absent (loaded: none)");
    return *value_;
  }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const { return value(); }
  T& operator*() { return value(); }

  void set(T value) {
    value_ = std::make_unique<T>(std::move(value));
    loaded_ = true;
  }
  // Loaded, and absent.
  void mark_loaded() { loaded_ = true; }
  void reset() {
    value_.reset();
    loaded_ = false;
  }

  friend bool operator==(const One& a, const One& b) {
    if (a.loaded_ != b.loaded_) return false;
    if (!a.value_ || !b.value_) return !a.value_ && !b.value_;
    return *a.value_ == *b.value_;
  }

 private:
  void require() const {
    if (!loaded_) throw_not_loaded(T::schema().model_name(), "One");
  }

  std::unique_ptr<T> value_;
  bool loaded_ = false;
};

}  // namespace pgtally::orm
