#include "orm/migrate/advisory_lock.hpp"

#include <thread>

#include <fmt/format.h>

#include "orm/migrate/errors.hpp"

namespace pgtally::orm::migrate {
namespace {

using Clock = std::chrono::steady_clock;

// Short enough that a waiting run starts soon after the other ends, long enough not to load
// the server while a long migration runs.
constexpr std::chrono::milliseconds kFirstPoll{20};
constexpr std::chrono::milliseconds kLongestPoll{250};

}  // namespace

std::int64_t AdvisoryLock::key_for(const std::string& meta_table) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: stable across builds and hosts
  for (const char c : "pgtally-migrate:" + meta_table) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return static_cast<std::int64_t>(h >> 1U);  // positive: pg_locks shows it as two oids
}

AdvisoryLock::AdvisoryLock(const std::string& conninfo, std::int64_t key,
                           std::chrono::milliseconds timeout,
                           const std::function<void(const std::string&)>& on_wait)
    : connection_(std::make_unique<Connection>(conninfo, "pgtally-migrate", 0)), key_(key) {
  const auto deadline = Clock::now() + timeout;
  auto pause = kFirstPoll;
  bool told = false;
  for (;;) {
    const Result got =
        connection_->exec("SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(key_)});
    if (got.value(0, 0) == "t") return;
    if (!told && on_wait) {
      on_wait(fmt::format("waiting for the migration lock, held by {} (timeout {} s)", holder(),
                          std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
      told = true;
    }
    if (Clock::now() >= deadline) {
      throw LockTimeout(
          fmt::format("the migration lock was not acquired within {} ms: it is held by {}. Another "
                      "migration run is in progress; wait for it, or raise --lock-timeout",
                      timeout.count(), holder()));
    }
    std::this_thread::sleep_for(
        std::min(pause, std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - Clock::now() + std::chrono::milliseconds(1))));
    pause = std::min(pause * 2, kLongestPoll);
  }
}

AdvisoryLock::~AdvisoryLock() {
  try {
    connection_->exec("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(key_)});
  } catch (...) {  // NOLINT(bugprone-empty-catch): the connection closes next, releasing it
  }
}

std::string AdvisoryLock::holder() {
  try {
    const Result r = connection_->exec(
        "SELECT a.pid, coalesce(a.application_name, '') AS app, "
        "coalesce(host(a.client_addr), 'local') AS client "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint",
        {std::to_string(key_)});
    if (r.rows() == 0) return "another session (it may just have released it)";
    return fmt::format("backend pid {} (application_name '{}', client {})", r.value(0, 0),
                       r.value(0, 1), r.value(0, 2));
  } catch (const std::exception&) {
    return "another session";
  }
}

}  // namespace pgtally::orm::migrate
