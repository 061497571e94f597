// Connection-pool trouble seen from the wire, per client group (DESIGN.md "What counts as pool
// exhaustion"): saturation, idle in transaction, churn, nested connections, server refusals.
// The engine feeds it connection and query events and calls tick(now); time is always passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/fifo.hpp"
#include "analyzer/finding.hpp"
#include "analyzer/fingerprint.hpp"

namespace pgtally::analyzer {

struct PoolConfig {
  std::chrono::milliseconds saturation_window{5000};
  double saturation_busy_fraction = 0.9;  // all connections busy this share of the window
  // A lone connection (psql, a cron job) running one long statement is not a pool.
  std::uint32_t saturation_min_connections = 2;
  std::uint32_t server_max_connections = 0;  // from config or the monitoring connection; 0: unknown
  std::chrono::milliseconds idle_in_transaction{2000};
  std::uint32_t churn_connections = 10;  // new connections within churn_window ...
  std::chrono::milliseconds churn_window{10000};
  std::chrono::milliseconds churn_median_lifetime{1000};  // ... living less than this (median)
  std::chrono::milliseconds pool_wait_threshold{100};     // ORM-reported waits this long
};

struct ConnectionView {
  ConnectionId connection = 0;
  std::int32_t backend_pid = 0;
  std::string group;  // group_label()
  Source source = Source::proxy;
  TimePoint opened;
  TxState state = TxState::idle;
  bool running = false;
  std::string request_id;  // last statement's request
  std::uint64_t queries = 0;
};

// How loaded one client group's connections are right now.
struct GroupLoad {
  std::string group;  // group_label()
  std::uint32_t open = 0;
  std::uint32_t busy = 0;  // running a statement or inside a transaction
  std::uint32_t idle_in_transaction = 0;
};

class PoolDetector {
 public:
  explicit PoolDetector(PoolConfig config) : config_(config) {}

  void on_opened(const ConnectionOpened& e);
  void on_closed(const ConnectionClosed& e);
  void on_transaction_state(const TransactionStateChanged& e);
  void on_query_started(const QueryStarted& e);
  // `request_id` / `attribution`: what attribution decided; `pool_wait`: `db_pool_wait_ms`.
  void on_query(const QueryEvent& e, Fingerprint fingerprint, const std::string& request_id,
                Attribution attribution, std::optional<std::chrono::microseconds> pool_wait);
  void on_refusal(const ServerRefusal& e);
  void on_pool_wait(const PoolWait& e);
  void tick(TimePoint now);

  // Findings raised since the last call.
  [[nodiscard]] std::vector<Finding> take_findings();
  [[nodiscard]] std::vector<ConnectionView> connections() const;
  [[nodiscard]] std::vector<GroupLoad> group_load() const;  // by group label
  [[nodiscard]] std::size_t open_connections() const { return connections_.size(); }

 private:
  using Interval = std::pair<TimePoint, TimePoint>;
  struct Connection {
    ConnectionView view;
    ClientGroup group;
    TimePoint tx_since;
    TimePoint idle_since;  // end of the last statement, or the start of the transaction
    TimePoint running_since;
    bool reports_starts = false;  // the producer sends QueryStarted
    bool idle_reported = false;   // for the current transaction
    bool tagged = false;
    Fingerprint last_fingerprint = 0;
    Fifo<Interval> busy;
  };
  struct Group {
    ClientGroup group;
    std::uint32_t open = 0;
    std::uint32_t peak = 0;
    TimePoint count_changed;
    std::deque<TimePoint> opens;
    std::deque<std::pair<TimePoint, std::chrono::microseconds>> closes;  // (closed, lifetime)
    std::optional<TimePoint> last_saturation;
    std::optional<TimePoint> last_churn;
    std::optional<TimePoint> last_wait;
  };

  Group& group_of(const ClientGroup& g);
  void add_busy(Connection& c, TimePoint start, TimePoint end);
  void check_idle(Connection& c, TimePoint until);
  void check_churn(Group& g, TimePoint now);
  void check_saturation(const std::string& label, Group& g, TimePoint now);
  void report_wait(Group& g, const std::string& request_id, std::chrono::microseconds waited,
                   TimePoint at, const char* reported_by);
  void leave_holders(ConnectionId id, Connection& c);
  [[nodiscard]] bool rate_limited(std::optional<TimePoint>& last, TimePoint now) const;

  PoolConfig config_;
  std::unordered_map<ConnectionId, Connection> connections_;
  std::unordered_map<std::string, Group> groups_;
  // Tagged request -> connections where it holds an open transaction.
  std::unordered_map<std::string, std::vector<ConnectionId>> holders_;
  std::vector<Finding> findings_;
  TimePoint latest_;
};

}  // namespace pgtally::analyzer
