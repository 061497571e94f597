// Test glue for the proxy: the binary's throwaway PostgreSQL, a pgtally started in process in
// front of it on a free port, and libpq helpers that run the same work directly and through
// pgtally so results can be compared.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "proxy/config.hpp"
#include "proxy/proxy.hpp"
#include "tests/support/postgres_environment.hpp"

namespace pgtally::testing {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A config that listens on 127.0.0.1:0 in front of the binary's PostgreSQL.
Config proxy_config();

// A pgtally in process; shut down (drain 0) by the destructor.
class RunningProxy {
 public:
  explicit RunningProxy(Config config = proxy_config(),
                        std::shared_ptr<ObserverFactory> observers = nullptr);
  ~RunningProxy();
  RunningProxy(const RunningProxy&) = delete;
  RunningProxy& operator=(const RunningProxy&) = delete;
  RunningProxy(RunningProxy&&) = delete;
  RunningProxy& operator=(RunningProxy&&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  // conninfo for `user` through pgtally (password = user name, as in TempPostgres).
  [[nodiscard]] std::string conninfo(std::string_view user = kTrustUser,
                                     std::string_view extra = "") const;
  Proxy& proxy() { return *proxy_; }

 private:
  std::unique_ptr<Proxy> proxy_;
};

Connection connect(const std::string& conninfo);
// Connects and fails the test (with libpq's message) unless it worked.
Connection connect_ok(const std::string& conninfo);

// Runs SQL and returns every row as tab-separated text lines (NULL as \N); fails the test on
// an error.
std::vector<std::string> rows(PGconn* conn, const std::string& sql);
std::string scalar(PGconn* conn, const std::string& sql);

// Polls `condition` until it holds or `deadline` passes; returns whether it held.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = std::chrono::seconds(30));

}  // namespace pgtally::testing
