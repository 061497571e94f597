// The connection pool a Database owns: max, min, acquire timeout, idle timeout, background
// eviction and validation on checkout. Callers get a Lease (RAII) and give it back by dropping
// it; an acquire that times out throws PoolTimeoutError stating the pool's state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "orm/connection.hpp"

namespace pgtally::orm {

struct PoolOptions {
  std::uint32_t max = 5;
  std::uint32_t min = 0;  // the evictor opens up to this many and never closes below it
  std::chrono::milliseconds acquire_timeout{60'000};
  std::chrono::milliseconds idle_timeout{10'000};   // idle longer than this: evicted
  std::chrono::milliseconds evict_interval{1'000};  // 0: no background eviction
  bool validate_on_checkout = true;                 // drop idle connections the server closed
};

struct PoolStats {
  std::uint32_t in_use = 0;
  std::uint32_t idle = 0;
  std::uint32_t waiting = 0;
  std::uint32_t max = 0;
};

// What the pool reports to its observer, for metrics and analyzer events.
struct PoolEvent {
  enum class Kind : std::uint8_t {
    opened,     // a new connection (connection, backend_pid set)
    closed,     // a connection closed (evicted, broken or at shutdown)
    acquired,   // a lease handed out; waited is how long the caller blocked
    released,   // a lease returned
    timed_out,  // an acquire gave up
  };
  Kind kind = Kind::acquired;
  std::chrono::microseconds waited{0};
  bool had_to_wait = false;  // the caller blocked because every connection was in use
  PoolStats stats;
  std::uint64_t connection = 0;
  std::int32_t backend_pid = 0;
  bool broken = false;  // closed because the connection was lost or failed validation
};

class Pool;

// A connection borrowed from the pool; returned when destroyed. discard() closes it instead
// (after a lost connection, or when a transaction could not be rolled back).
class Lease {
 public:
  Lease() = default;
  Lease(Pool* pool, std::unique_ptr<Connection> connection, std::chrono::microseconds waited,
        bool had_to_wait);
  ~Lease();
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }
  [[nodiscard]] explicit operator bool() const { return connection_ != nullptr; }
  void discard() { discard_ = true; }
  // The wait that preceded this lease, reported once (by the first statement's comment).
  std::optional<std::chrono::milliseconds> take_wait();

 private:
  void give_back();
  Pool* pool_ = nullptr;
  std::unique_ptr<Connection> connection_;
  std::chrono::microseconds waited_{0};
  bool had_to_wait_ = false;
  bool discard_ = false;
};

class Pool {
 public:
  using Observer = std::function<void(const PoolEvent&)>;
  // conninfo is kept in memory only; observer runs outside the pool's lock.
  Pool(std::string conninfo, std::string application_name, PoolOptions options, Observer observer);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  Pool(Pool&&) = delete;
  Pool& operator=(Pool&&) = delete;

  // Blocks up to acquire_timeout; throws PoolTimeoutError or ConnectionError.
  Lease acquire();
  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] const PoolOptions& options() const { return options_; }
  // Closes connections idle longer than idle_timeout, keeping min; the evictor calls it.
  void evict_idle();
  // Opens idle connections until min are open; the evictor calls it. Throws ConnectionError.
  void ensure_min();

 private:
  friend class Lease;
  struct Idle {
    std::unique_ptr<Connection> connection;
    std::chrono::steady_clock::time_point since;
  };
  void release(std::unique_ptr<Connection> connection, bool discard);
  void close_all(std::vector<std::unique_ptr<Connection>> connections, bool broken);
  [[nodiscard]] PoolStats stats_locked() const;
  void notify(const PoolEvent& event) const;
  void evictor_loop();

  std::string conninfo_;
  std::string application_name_;
  PoolOptions options_;
  Observer observer_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::condition_variable stop_cv_;
  std::vector<Idle> idle_;
  std::uint32_t total_ = 0;  // open or opening
  std::uint32_t in_use_ = 0;
  std::uint32_t waiting_ = 0;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread evictor_;
};

}  // namespace pgtally::orm
