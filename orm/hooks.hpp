// Hooks: the per-query logging hook (SQL, duration, rows, request context), per-model
// lifecycle hooks (before/after create, update, save, destroy) and the subscription handle
// that removes a hook when dropped. The Database owns the registries; tests and apps subscribe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "orm/request_scope.hpp"

namespace pgtally::orm {

// One statement as the ORM ran it. Parameters are never here in clear: only keyed hashes of
// their text form (the same value hashes alike within one Database), for telling values apart.
struct QueryLog {
  std::string sql;                              // as sent, sqlcommenter comment included
  std::string statement;                        // without the comment
  std::vector<std::uint64_t> parameter_hashes;  // 0 for NULL
  std::chrono::microseconds duration{0};
  std::uint64_t rows = 0;  // returned or affected
  std::string sqlstate;    // empty on success
  Tags tags;               // the request context and db_pool_wait_ms, as commented
  std::uint64_t connection = 0;
  bool transaction_control = false;  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET TRANSACTION
};

// Unsubscribes when destroyed (or on reset()).
class Subscription {
 public:
  Subscription() = default;
  explicit Subscription(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  ~Subscription() { reset(); }
  Subscription(Subscription&& other) noexcept : cancel_(std::move(other.cancel_)) {
    other.cancel_ = nullptr;
  }
  Subscription& operator=(Subscription&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::move(other.cancel_);
      other.cancel_ = nullptr;
    }
    return *this;
  }
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  void reset() {
    if (cancel_) cancel_();
    cancel_ = nullptr;
  }

 private:
  std::function<void()> cancel_;
};

// A thread-safe list of callbacks; emit() runs them outside the lock, on the caller's thread.
template <typename Event>
class Listeners {
 public:
  using Callback = std::function<void(const Event&)>;

  Subscription add(Callback callback) {
    auto entry = std::make_shared<Callback>(std::move(callback));
    {
      const std::lock_guard lock(mutex_);
      callbacks_.push_back(entry);
    }
    std::weak_ptr<Callback> weak = entry;
    return Subscription([this, weak] {
      const std::lock_guard lock(mutex_);
      std::erase_if(callbacks_, [&](const auto& c) { return c == weak.lock(); });
    });
  }

  [[nodiscard]] bool empty() const {
    const std::lock_guard lock(mutex_);
    return callbacks_.empty();
  }

  void emit(const Event& event) const {
    std::vector<std::shared_ptr<Callback>> snapshot;
    {
      const std::lock_guard lock(mutex_);
      if (callbacks_.empty()) return;
      snapshot = callbacks_;
    }
    for (const auto& callback : snapshot)
      (*callback)(event);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
};

enum class HookPoint : std::uint8_t {
  before_create,
  after_create,
  before_update,
  after_update,
  before_save,  // around both create and update, inside before_create/before_update
  after_save,
  before_destroy,
  after_destroy,
};

// Lifecycle hooks of one model. Register them at start-up, before queries run concurrently.
// A before_* hook may change the instance or throw to stop the operation (no SQL is sent).
template <typename M>
class ModelHooks {
 public:
  using Hook = std::function<void(M&)>;
  ModelHooks& on(HookPoint point, Hook hook) {
    hooks_[static_cast<std::size_t>(point)].push_back(std::move(hook));
    return *this;
  }
  ModelHooks& before_create(Hook h) { return on(HookPoint::before_create, std::move(h)); }
  ModelHooks& after_create(Hook h) { return on(HookPoint::after_create, std::move(h)); }
  ModelHooks& before_update(Hook h) { return on(HookPoint::before_update, std::move(h)); }
  ModelHooks& after_update(Hook h) { return on(HookPoint::after_update, std::move(h)); }
  ModelHooks& before_save(Hook h) { return on(HookPoint::before_save, std::move(h)); }
  ModelHooks& after_save(Hook h) { return on(HookPoint::after_save, std::move(h)); }
  ModelHooks& before_destroy(Hook h) { return on(HookPoint::before_destroy, std::move(h)); }
  ModelHooks& after_destroy(Hook h) { return on(HookPoint::after_destroy, std::move(h)); }

  void run(HookPoint point, M& instance) const {
    for (const auto& hook : hooks_[static_cast<std::size_t>(point)])
      hook(instance);
  }

 private:
  std::vector<Hook> hooks_[8];
};

}  // namespace pgtally::orm
