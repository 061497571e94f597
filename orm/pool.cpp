#include "orm/pool.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "orm/errors.hpp"

namespace pgtally::orm {
namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
}  // namespace

Lease::Lease(Pool* pool, std::unique_ptr<Connection> connection, microseconds waited,
             bool had_to_wait)
    : pool_(pool), connection_(std::move(connection)), waited_(waited), had_to_wait_(had_to_wait) {}

Lease::~Lease() {
  give_back();
}

Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      waited_(other.waited_),
      had_to_wait_(std::exchange(other.had_to_wait_, false)),
      discard_(std::exchange(other.discard_, false)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
    waited_ = other.waited_;
    had_to_wait_ = std::exchange(other.had_to_wait_, false);
    discard_ = std::exchange(other.discard_, false);
  }
  return *this;
}

std::optional<std::chrono::milliseconds> Lease::take_wait() {
  if (!had_to_wait_) return std::nullopt;
  had_to_wait_ = false;
  return std::chrono::duration_cast<std::chrono::milliseconds>(waited_);
}

void Lease::give_back() {
  if (pool_ != nullptr && connection_ != nullptr) {
    pool_->release(std::move(connection_), discard_);
  }
  pool_ = nullptr;
}

Pool::Pool(std::string conninfo, std::string application_name, PoolOptions options,
           Observer observer)
    : conninfo_(std::move(conninfo)),
      application_name_(std::move(application_name)),
      options_(options),
      observer_(std::move(observer)) {
  if (options_.max == 0) throw UsageError("pool.max must be at least 1");
  if (options_.min > options_.max) throw UsageError("pool.min must not exceed pool.max");
  if (options_.evict_interval.count() > 0) evictor_ = std::thread([this] { evictor_loop(); });
}

Pool::~Pool() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& idle : idle_)
      closing.push_back(std::move(idle.connection));
    idle_.clear();
    total_ -= static_cast<std::uint32_t>(closing.size());
  }
  stop_cv_.notify_all();
  available_.notify_all();
  if (evictor_.joinable()) evictor_.join();
  close_all(std::move(closing), false);
}

void Pool::notify(const PoolEvent& event) const {
  if (observer_) observer_(event);
}

PoolStats Pool::stats_locked() const {
  return PoolStats{in_use_, static_cast<std::uint32_t>(idle_.size()), waiting_, options_.max};
}

PoolStats Pool::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_locked();
}

void Pool::close_all(std::vector<std::unique_ptr<Connection>> connections, bool broken) {
  for (auto& c : connections) {
    PoolEvent event;
    event.kind = PoolEvent::Kind::closed;
    event.connection = c->id();
    event.backend_pid = c->backend_pid();
    event.broken = broken;
    c.reset();
    event.stats = stats();
    notify(event);
  }
}

Lease Pool::acquire() {
  const auto start = Clock::now();
  const auto deadline = start + options_.acquire_timeout;
  bool had_to_wait = false;
  std::vector<std::unique_ptr<Connection>> broken;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) throw UsageError("the pool is shutting down");
    while (!idle_.empty()) {
      auto candidate = std::move(idle_.back().connection);
      idle_.pop_back();
      if (options_.validate_on_checkout && !candidate->looks_healthy()) {
        --total_;
        broken.push_back(std::move(candidate));
        continue;
      }
      ++in_use_;
      PoolEvent event;
      event.kind = PoolEvent::Kind::acquired;
      event.waited = duration_cast<microseconds>(Clock::now() - start);
      event.had_to_wait = had_to_wait;
      event.stats = stats_locked();
      event.connection = candidate->id();
      event.backend_pid = candidate->backend_pid();
      lock.unlock();
      close_all(std::move(broken), true);
      notify(event);
      return Lease(this, std::move(candidate), event.waited, had_to_wait);
    }
    if (total_ < options_.max) {
      ++total_;
      ++in_use_;
      const std::uint64_t id = next_id_++;
      lock.unlock();
      close_all(std::move(broken), true);
      std::unique_ptr<Connection> fresh;
      try {
        fresh = std::make_unique<Connection>(conninfo_, application_name_, id);
      } catch (...) {
        {
          const std::lock_guard relock(mutex_);
          --total_;
          --in_use_;
        }
        available_.notify_one();
        throw;
      }
      PoolEvent opened;
      opened.kind = PoolEvent::Kind::opened;
      opened.connection = id;
      opened.backend_pid = fresh->backend_pid();
      opened.stats = stats();
      notify(opened);
      PoolEvent event = opened;
      event.kind = PoolEvent::Kind::acquired;
      event.waited = duration_cast<microseconds>(Clock::now() - start);
      event.had_to_wait = had_to_wait;
      notify(event);
      return Lease(this, std::move(fresh), event.waited, had_to_wait);
    }
    had_to_wait = true;
    ++waiting_;
    const bool ready = available_.wait_until(
        lock, deadline, [this] { return stopping_ || !idle_.empty() || total_ < options_.max; });
    --waiting_;
    if (!ready) {
      PoolTimeoutError::State state{in_use_, static_cast<std::uint32_t>(idle_.size()), waiting_,
                                    options_.max, options_.acquire_timeout};
      PoolEvent event;
      event.kind = PoolEvent::Kind::timed_out;
      event.waited = duration_cast<microseconds>(Clock::now() - start);
      event.had_to_wait = true;
      event.stats = stats_locked();
      lock.unlock();
      close_all(std::move(broken), true);
      notify(event);
      throw PoolTimeoutError(state);
    }
  }
}

void Pool::release(std::unique_ptr<Connection> connection, bool discard) {
  const bool close = discard || !connection->ok() || connection->in_transaction();
  PoolEvent event;
  event.kind = PoolEvent::Kind::released;
  event.connection = connection->id();
  event.backend_pid = connection->backend_pid();
  std::vector<std::unique_ptr<Connection>> closing;
  {
    const std::lock_guard lock(mutex_);
    --in_use_;
    if (close || stopping_) {
      --total_;
      closing.push_back(std::move(connection));
    } else {
      idle_.push_back(Idle{std::move(connection), Clock::now()});
    }
    event.stats = stats_locked();
  }
  available_.notify_one();
  notify(event);
  close_all(std::move(closing), close);
}

void Pool::evict_idle() {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    const std::lock_guard lock(mutex_);
    const auto cutoff = Clock::now() - options_.idle_timeout;
    // idle_ is in release order: the oldest first.
    auto it = idle_.begin();
    while (it != idle_.end() && total_ > options_.min) {
      if (it->since > cutoff) break;
      closing.push_back(std::move(it->connection));
      it = idle_.erase(it);
      --total_;
    }
  }
  if (!closing.empty()) available_.notify_all();
  close_all(std::move(closing), false);
}

void Pool::ensure_min() {
  for (;;) {
    std::uint64_t id = 0;
    {
      const std::lock_guard lock(mutex_);
      if (stopping_ || total_ >= options_.min) return;
      ++total_;
      id = next_id_++;
    }
    std::unique_ptr<Connection> fresh;
    try {
      fresh = std::make_unique<Connection>(conninfo_, application_name_, id);
    } catch (...) {
      {
        const std::lock_guard lock(mutex_);
        --total_;
      }
      available_.notify_one();
      throw;
    }
    PoolEvent opened;
    opened.kind = PoolEvent::Kind::opened;
    opened.connection = id;
    opened.backend_pid = fresh->backend_pid();
    {
      const std::lock_guard lock(mutex_);
      idle_.push_back(Idle{std::move(fresh), Clock::now()});
      opened.stats = stats_locked();
    }
    available_.notify_one();
    notify(opened);
  }
}

void Pool::evictor_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, options_.evict_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    evict_idle();
    try {
      ensure_min();
    } catch (const Error&) {
      // The server is unreachable now; the next round tries again, and acquire reports it.
    }
    lock.lock();
  }
}

}  // namespace pgtally::orm
