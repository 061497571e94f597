// The same client work directly against PostgreSQL and through pgtally gives the same results:
// simple and extended protocol, prepared statements, pipelines, COPY, LISTEN/NOTIFY, big rows,
// cancel.
#include <poll.h>

#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/proxy/proxy_fixture.hpp"

namespace pgtally::testing {
namespace {

class Relay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { proxy_ = new RunningProxy(); }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
  }
  static std::string direct() { return postgres().conninfo() + " sslmode=disable"; }
  static std::string through() { return proxy_->conninfo(kTrustUser, "sslmode=disable"); }

  // Runs `work` on a fresh connection both ways and expects identical transcripts.
  static void same_both_ways(const std::function<std::vector<std::string>(PGconn*)>& work) {
    auto a = connect_ok(direct());
    auto b = connect_ok(through());
    const auto expected = work(a.get());
    const auto actual = work(b.get());
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(actual, expected);
  }

  static RunningProxy* proxy_;
};
RunningProxy* Relay::proxy_ = nullptr;

std::vector<std::string> result_lines(PGconn* conn, PGresult* result) {
  std::vector<std::string> out{std::string(PQresStatus(PQresultStatus(result)))};
  if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) out.emplace_back(state);
  for (int r = 0; r < PQntuples(result); ++r) {
    std::string line;
    for (int c = 0; c < PQnfields(result); ++c) {
      line += PQgetisnull(result, r, c) ? "\\N" : PQgetvalue(result, r, c);
      line += '|';
    }
    out.push_back(line);
  }
  (void)conn;
  return out;
}

TEST_F(Relay, SimpleQueryWithSeveralStatements) {
  same_both_ways([](PGconn* conn) {
    std::vector<std::string> out;
    PQsendQuery(conn,
                "SELECT 1 AS a, 'x' AS b; SELECT generate_series(1, 5); SELECT NULL::int;"
                "CREATE TEMP TABLE t(x int); INSERT INTO t VALUES (1), (2);");
    while (PGresult* r = PQgetResult(conn)) {
      auto lines = result_lines(conn, r);
      out.insert(out.end(), lines.begin(), lines.end());
      PQclear(r);
    }
    return out;
  });
}

TEST_F(Relay, ExtendedProtocolTextAndBinaryParameters) {
  same_both_ways([](PGconn* conn) {
    const char* values[] = {"42", "hello"};
    Result text(PQexecParams(conn, "SELECT $1::int + 1, upper($2)", 2, nullptr, values, nullptr,
                             nullptr, 0),
                &PQclear);
    auto out = result_lines(conn, text.get());
    const std::uint32_t network_seven = htonl(7);
    const char* binary_values[] = {reinterpret_cast<const char*>(&network_seven)};
    const int lengths[] = {4};
    const int formats[] = {1};
    const Oid types[] = {23};
    Result binary(
        PQexecParams(conn, "SELECT $1::int * 6", 1, types, binary_values, lengths, formats, 0),
        &PQclear);
    auto more = result_lines(conn, binary.get());
    out.insert(out.end(), more.begin(), more.end());
    return out;
  });
}

TEST_F(Relay, NamedPreparedStatementExecutedManyTimes) {
  same_both_ways([](PGconn* conn) {
    Result prepared(PQprepare(conn, "square", "SELECT $1::int * $1::int", 1, nullptr), &PQclear);
    std::vector<std::string> out = result_lines(conn, prepared.get());
    for (int i = 0; i < 20; ++i) {
      const std::string value = std::to_string(i);
      const char* values[] = {value.c_str()};
      Result r(PQexecPrepared(conn, "square", 1, values, nullptr, nullptr, 0), &PQclear);
      auto lines = result_lines(conn, r.get());
      out.insert(out.end(), lines.begin(), lines.end());
    }
    return out;
  });
}

TEST_F(Relay, PipelineWithAnErrorInTheMiddle) {
  same_both_ways([](PGconn* conn) {
    std::vector<std::string> out;
    EXPECT_EQ(PQenterPipelineMode(conn), 1);
    for (int i = 0; i < 10; ++i) {
      const std::string sql = i == 4 ? "SELECT 1/0" : fmt::format("SELECT {}", i);
      PQsendQueryParams(conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0);
    }
    PQpipelineSync(conn);
    PQsendQueryParams(conn, "SELECT 'after sync'", 0, nullptr, nullptr, nullptr, nullptr, 0);
    PQpipelineSync(conn);
    int syncs = 0;
    while (syncs < 2) {
      PGresult* r = PQgetResult(conn);
      if (r == nullptr) continue;  // end of one query's results
      if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) ++syncs;
      auto lines = result_lines(conn, r);
      out.insert(out.end(), lines.begin(), lines.end());
      PQclear(r);
    }
    EXPECT_EQ(PQexitPipelineMode(conn), 1);
    return out;
  });
}

TEST_F(Relay, CopyInAndOut) {
  same_both_ways([](PGconn* conn) {
    rows(conn, "CREATE TEMP TABLE c(id int, name text)");
    Result start(PQexec(conn, "COPY c FROM STDIN"), &PQclear);
    EXPECT_EQ(PQresultStatus(start.get()), PGRES_COPY_IN);
    std::string data;
    for (int i = 0; i < 20000; ++i)
      data += fmt::format("{}\tname {}\n", i, i);
    EXPECT_EQ(PQputCopyData(conn, data.data(), static_cast<int>(data.size())), 1);
    EXPECT_EQ(PQputCopyEnd(conn, nullptr), 1);
    Result done(PQgetResult(conn), &PQclear);
    EXPECT_EQ(PQresultStatus(done.get()), PGRES_COMMAND_OK) << PQerrorMessage(conn);
    while (PGresult* r = PQgetResult(conn))
      PQclear(r);
    Result out_start(PQexec(conn, "COPY (SELECT * FROM c ORDER BY id) TO STDOUT"), &PQclear);
    EXPECT_EQ(PQresultStatus(out_start.get()), PGRES_COPY_OUT);
    std::string copied;
    char* buffer = nullptr;
    int n = 0;
    while ((n = PQgetCopyData(conn, &buffer, 0)) > 0) {
      copied.append(buffer, static_cast<std::size_t>(n));
      PQfreemem(buffer);
    }
    while (PGresult* r = PQgetResult(conn))
      PQclear(r);
    EXPECT_EQ(copied, data);
    return std::vector<std::string>{std::to_string(copied.size()),
                                    scalar(conn, "SELECT count(*), sum(id) FROM c")};
  });
}

TEST_F(Relay, RowsOfTensOfMegabytes) {
  auto conn = connect_ok(through());
  const std::size_t size = 24U * 1024U * 1024U;
  Result r(PQexec(conn.get(), fmt::format("SELECT repeat('ab', {}), 'end'", size / 2).c_str()),
           &PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn.get());
  ASSERT_EQ(static_cast<std::size_t>(PQgetlength(r.get(), 0, 0)), size);
  const std::string value(PQgetvalue(r.get(), 0, 0), size);
  std::string expected;
  expected.reserve(size);
  for (std::size_t i = 0; i < size / 2; ++i)
    expected += "ab";
  EXPECT_TRUE(value == expected);
  EXPECT_STREQ(PQgetvalue(r.get(), 0, 1), "end");
  // And a big value sent by the client.
  const std::string big(size, 'z');
  const char* values[] = {big.c_str()};
  Result echo(
      PQexecParams(conn.get(), "SELECT length($1::text)", 1, nullptr, values, nullptr, nullptr, 0),
      &PQclear);
  EXPECT_EQ(std::string(PQgetvalue(echo.get(), 0, 0)), std::to_string(size));
}

TEST_F(Relay, ListenNotifyReachesTheListener) {
  auto listener = connect_ok(through());
  auto notifier = connect_ok(through());
  rows(listener.get(), "LISTEN pgtally_channel");
  rows(notifier.get(), "NOTIFY pgtally_channel, 'payload 1'");
  std::string payload;
  const bool received = eventually([&] {
    PQconsumeInput(listener.get());
    if (PGnotify* n = PQnotifies(listener.get())) {
      payload = n->extra;
      PQfreemem(n);
      return true;
    }
    return false;
  });
  ASSERT_TRUE(received);
  EXPECT_EQ(payload, "payload 1");
}

TEST_F(Relay, CancelRequestReachesTheBackendOfTheSession) {
  auto conn = connect_ok(through());
  ASSERT_EQ(PQsendQuery(conn.get(), "SELECT pg_sleep(60)"), 1);
  const std::string pid = std::to_string(PQbackendPID(conn.get()));
  auto observer = connect_ok(direct());
  ASSERT_TRUE(eventually([&] {
    return scalar(observer.get(), "SELECT state FROM pg_stat_activity WHERE pid = " + pid) ==
           "active";
  }));
  PGcancel* cancel = PQgetCancel(conn.get());
  std::array<char, 256> error{};
  EXPECT_EQ(PQcancel(cancel, error.data(), static_cast<int>(error.size())), 1) << error.data();
  PQfreeCancel(cancel);
  Result r(PQgetResult(conn.get()), &PQclear);
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
  EXPECT_STREQ(PQresultErrorField(r.get(), PG_DIAG_SQLSTATE), "57014");
  while (PGresult* rest = PQgetResult(conn.get()))
    PQclear(rest);
  EXPECT_EQ(scalar(conn.get(), "SELECT 'still usable'"), "still usable");
}

TEST_F(Relay, UnixSocketAndIpv6Listeners) {
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("pgtally-sock-{}", ::getpid());
  std::filesystem::create_directories(dir);
  Config config = proxy_config();
  config.listen = {"127.0.0.1:0", "[::1]:0"};
  config.unix_socket_dir = dir.string();
  config.unix_socket_port = 7432;
  RunningProxy proxy(config);
  const auto endpoints = proxy.proxy().tcp_endpoints();
  ASSERT_EQ(endpoints.size(), 2U);
  auto v6 = connect_ok(fmt::format("host=::1 port={} user={} dbname={} sslmode=disable",
                                   endpoints[1].port(), kTrustUser, kTestDatabase));
  EXPECT_EQ(scalar(v6.get(), "SELECT 'v6'"), "v6");
  auto local = connect_ok(
      fmt::format("host={} port=7432 user={} dbname={}", dir.string(), kTrustUser, kTestDatabase));
  EXPECT_EQ(scalar(local.get(), "SELECT 'unix'"), "unix");
  std::filesystem::remove_all(dir);
}

TEST_F(Relay, UpstreamOverAUnixSocket) {
  Config config = proxy_config();
  config.upstream = fmt::format("{}:{}", postgres().socket_dir().string(), postgres().port());
  RunningProxy proxy(config);
  auto conn = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  // The server sees a local connection: no client address.
  EXPECT_EQ(scalar(conn.get(), "SELECT coalesce(inet_client_addr()::text, 'local')"), "local");
}

}  // namespace
}  // namespace pgtally::testing
