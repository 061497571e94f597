// The lock that serializes migration runs: a session-level advisory lock on a connection of
// its own, outside any transaction, held for the whole run. It is taken by polling
// pg_try_advisory_lock rather than by waiting inside pg_advisory_lock: a waiting statement
// holds a snapshot, and CREATE INDEX CONCURRENTLY in the run holding the lock would wait for
// that snapshot, so both runs would wait on each other until the timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "orm/connection.hpp"

namespace pgtally::orm::migrate {

class AdvisoryLock {
 public:
  // Opens its connection and takes the lock within timeout; on_wait is told once, with who
  // holds it, when it has to wait. Throws LockTimeout or ConnectionError.
  AdvisoryLock(const std::string& conninfo, std::int64_t key, std::chrono::milliseconds timeout,
               const std::function<void(const std::string&)>& on_wait);
  ~AdvisoryLock();  // unlocks (closing the connection would release it too)
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;
  AdvisoryLock(AdvisoryLock&&) = delete;
  AdvisoryLock& operator=(AdvisoryLock&&) = delete;

  // The lock key of a meta table: runs against the same meta table exclude each other.
  static std::int64_t key_for(const std::string& meta_table);

 private:
  std::string holder();
  std::unique_ptr<Connection> connection_;
  std::int64_t key_;
};

}  // namespace pgtally::orm::migrate
