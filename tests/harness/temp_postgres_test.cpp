#include <libpq-fe.h>

#include <memory>
#include <string>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "tests/support/postgres_environment.hpp"

namespace pgtally::testing {
namespace {

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Conn connect(const std::string& conninfo) {
  return {PQconnectdb(conninfo.c_str()), &PQfinish};
}

std::string scalar(PGconn* conn, const char* sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn, sql), &PQclear);
  EXPECT_EQ(PQresultStatus(res.get()), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  return PQntuples(res.get()) > 0 ? PQgetvalue(res.get(), 0, 0) : "";
}

struct AuthCase {
  const char* name;
  std::string_view user;
  const char* sslmode;
  const char* expect_ssl;
};

class HarnessAuth : public ::testing::TestWithParam<AuthCase> {};

TEST_P(HarnessAuth, RoleConnectsWithItsMethod) {
  const auto& c = GetParam();
  auto conn = connect(postgres().conninfo(c.user) + " sslmode=" + c.sslmode);
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  EXPECT_EQ(scalar(conn.get(), "SELECT current_user"), c.user);
  EXPECT_EQ(scalar(conn.get(), "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
            c.expect_ssl);
}

INSTANTIATE_TEST_SUITE_P(Roles, HarnessAuth,
                         ::testing::Values(AuthCase{"Trust", kTrustUser, "disable", "false"},
                                           AuthCase{"Md5", kMd5User, "disable", "false"},
                                           AuthCase{"Scram", kScramUser, "disable", "false"},
                                           AuthCase{"ScramOverTls", kScramUser, "require", "true"}),
                         [](const ::testing::TestParamInfo<AuthCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(Harness, WrongPasswordIsRefused) {
  auto conn = connect(fmt::format("host=127.0.0.1 port={} user={} password=wrong dbname={}",
                                  postgres().port(), kScramUser, kTestDatabase));
  EXPECT_NE(PQstatus(conn.get()), CONNECTION_OK);
}

TEST(Harness, Md5RoleReallyUsesMd5) {
  EXPECT_EQ(
      postgres().psql(
          fmt::format("SELECT left(rolpassword, 3) FROM pg_authid WHERE rolname = '{}'", kMd5User),
          "postgres"),
      "md5\n");
}

}  // namespace
}  // namespace pgtally::testing
