// The traffic of the live dashboards test, all of it real clients through pgtally: the
// storefront under load (in rounds, until stopped) and, once per round of the traps, a
// connection refused by the server (a role limited to one connection, opened a second time),
// a client refused by pgtally's own max_client_conn, and the report page (a nested connection).
// The traps repeat so that the alerts they cause stay firing while the test looks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "orm/storefront/service/address.hpp"
#include "orm/storefront/service/load_driver.hpp"

namespace pgtally::testing {

struct LiveWorkloadOptions {
  storefront::Address service;
  std::vector<storefront::RouteWeight> mix;
  unsigned concurrency = 6;
  std::chrono::milliseconds load_round{1500};
  // A role with CONNECTION LIMIT 1, through pgtally: one connection is held, a second is tried.
  std::string limited_role_conninfo;
  // Through a pgtally whose max_client_conn is 1: one connection is held, a second is tried.
  std::string client_limit_conninfo;
  std::chrono::milliseconds trap_every{1000};
};

// What the workload saw; a refusal counts only when the error says who refused.
struct LiveTally {
  std::uint64_t load_requests = 0;
  std::uint64_t load_errors = 0;
  std::vector<std::string> load_error_samples;
  std::uint64_t server_refusals = 0;
  std::uint64_t pgtally_refusals = 0;
  std::uint64_t reports = 0;
  std::vector<std::string> unexpected;  // a trap that did not go as planned, and why
};

class LiveWorkload {
 public:
  // Opens the held connections (throws std::runtime_error when one fails) and starts the load
  // and trap threads.
  explicit LiveWorkload(LiveWorkloadOptions options);
  ~LiveWorkload();
  LiveWorkload(const LiveWorkload&) = delete;
  LiveWorkload& operator=(const LiveWorkload&) = delete;
  LiveWorkload(LiveWorkload&&) = delete;
  LiveWorkload& operator=(LiveWorkload&&) = delete;

  // Ends both threads (the load after its current round) and closes the held connections.
  void stop();
  [[nodiscard]] LiveTally tally() const;

 private:
  struct Held;
  void load_loop();
  void trap_loop();
  void trap_round();
  void note(std::string what);

  LiveWorkloadOptions options_;
  std::unique_ptr<Held> held_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  LiveTally tally_;
  std::thread load_;
  std::thread traps_;
};

}  // namespace pgtally::testing
