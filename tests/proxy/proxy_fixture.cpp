#include "tests/proxy/proxy_fixture.hpp"

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace pgtally::testing {

Config proxy_config() {
  Config config;
  config.listen = {"127.0.0.1:0"};
  config.upstream = fmt::format("127.0.0.1:{}", postgres().port());
  config.threads = 2;
  config.log_level = "warn";
  return config;
}

RunningProxy::RunningProxy(Config config, std::shared_ptr<ObserverFactory> observers)
    : proxy_(std::make_unique<Proxy>(std::move(config), std::move(observers))) {
  proxy_->start();
}

RunningProxy::~RunningProxy() {
  proxy_->shutdown(std::chrono::milliseconds(0));
}

std::uint16_t RunningProxy::port() const {
  return proxy_->tcp_endpoints().at(0).port();
}

std::string RunningProxy::conninfo(std::string_view user, std::string_view extra) const {
  return fmt::format("host=127.0.0.1 port={} user={} password={} dbname={} {}", port(), user, user,
                     kTestDatabase, extra);
}

Connection connect(const std::string& conninfo) {
  return {PQconnectdb(conninfo.c_str()), &PQfinish};
}

Connection connect_ok(const std::string& conninfo) {
  auto conn = connect(conninfo);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK)
      << "connecting with '" << conninfo << "': " << PQerrorMessage(conn.get());
  return conn;
}

std::vector<std::string> rows(PGconn* conn, const std::string& sql) {
  Result result(PQexec(conn, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
      << sql << ": " << PQerrorMessage(conn);
  std::vector<std::string> out;
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    std::string line;
    for (int c = 0; c < PQnfields(result.get()); ++c) {
      if (c > 0) line += '\t';
      line += PQgetisnull(result.get(), r, c) ? "\\N" : PQgetvalue(result.get(), r, c);
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::string scalar(PGconn* conn, const std::string& sql) {
  const auto result = rows(conn, sql);
  return result.empty() ? std::string() : result.front();
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
  return condition();
}

}  // namespace pgtally::testing
