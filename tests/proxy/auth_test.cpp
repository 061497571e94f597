// Every authentication method over every combination of TLS legs: {plain, TLS} towards the
// client x {plain, TLS} towards the server x {trust, md5, scram-sha-256}, with libpq's default
// channel binding, and the cases where channel binding cannot work failing clearly.
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/proxy/proxy_fixture.hpp"
#include "tests/proxy/raw_client.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

struct Legs {
  bool client_tls;
  bool server_tls;
};

// pgtally's own certificate for the client leg, distinct from the server's.
struct ProxyCertificate {
  std::filesystem::path cert;
  std::filesystem::path key;
};

const ProxyCertificate& proxy_certificate() {
  static const ProxyCertificate made = [] {
    const auto dir = postgres().socket_dir();
    ProxyCertificate c{dir / "pgtally.crt", dir / "pgtally.key"};
    const auto result = run_process({"openssl", "req", "-new", "-x509", "-days", "2", "-nodes",
                                     "-subj", "/CN=pgtally", "-newkey", "rsa:2048", "-keyout",
                                     c.key.string(), "-out", c.cert.string()});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return c;
  }();
  return made;
}

Config config_for(Legs legs, bool server_certificate = false) {
  Config config = proxy_config();
  if (legs.client_tls) {
    config.client_tls_cert_file =
        server_certificate ? postgres().ca_cert().string() : proxy_certificate().cert.string();
    config.client_tls_key_file =
        server_certificate ? postgres().server_key().string() : proxy_certificate().key.string();
  }
  config.server_tls = legs.server_tls ? ServerTls::require : ServerTls::disable;
  return config;
}

class AuthMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const bool client_tls : {false, true}) {
      for (const bool server_tls : {false, true}) {
        proxies_[{client_tls, server_tls}] =
            std::make_unique<RunningProxy>(config_for({client_tls, server_tls}));
      }
    }
  }
  static void TearDownTestSuite() { proxies_.clear(); }

  static std::string conninfo(Legs legs, std::string_view user, std::string_view extra = "") {
    return proxies_.at({legs.client_tls, legs.server_tls})
        ->conninfo(user,
                   fmt::format("sslmode={} {}", legs.client_tls ? "require" : "disable", extra));
  }
  static RunningProxy& proxy(Legs legs) { return *proxies_.at({legs.client_tls, legs.server_tls}); }

  static std::map<std::pair<bool, bool>, std::unique_ptr<RunningProxy>> proxies_;
};
std::map<std::pair<bool, bool>, std::unique_ptr<RunningProxy>> AuthMatrix::proxies_;

std::string leg_name(Legs legs) {
  return fmt::format("{}/{}", legs.client_tls ? "TLS" : "plain", legs.server_tls ? "TLS" : "plain");
}

TEST_F(AuthMatrix, EveryMethodOverEveryLegCombination) {
  for (const bool client_tls : {false, true}) {
    for (const bool server_tls : {false, true}) {
      const Legs legs{client_tls, server_tls};
      for (const auto user : {kTrustUser, kMd5User, kScramUser}) {
        // SCRAM over TLS on both legs cannot bind the channel across two TLS sessions.
        const bool needs_no_binding = user == kScramUser && client_tls && server_tls;
        SCOPED_TRACE(fmt::format("{} as {}", leg_name(legs), user));
        auto conn =
            connect_ok(conninfo(legs, user, needs_no_binding ? "channel_binding=disable" : ""));
        if (PQstatus(conn.get()) != CONNECTION_OK) continue;
        EXPECT_EQ(PQsslInUse(conn.get()), client_tls ? 1 : 0);
        EXPECT_EQ(scalar(conn.get(), "SELECT current_user"), user);
        EXPECT_EQ(
            scalar(conn.get(), "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
            server_tls ? "true" : "false");
      }
    }
  }
}

TEST_F(AuthMatrix, WrongPasswordsAreRefusedByTheServer) {
  for (const bool client_tls : {false, true}) {
    for (const bool server_tls : {false, true}) {
      const Legs legs{client_tls, server_tls};
      for (const auto user : {kMd5User, kScramUser}) {
        SCOPED_TRACE(fmt::format("{} as {}", leg_name(legs), user));
        auto conn = connect(conninfo(legs, user, "password=wrong channel_binding=disable"));
        EXPECT_NE(PQstatus(conn.get()), CONNECTION_OK);
        EXPECT_NE(std::string(PQerrorMessage(conn.get())).find("password authentication failed"),
                  std::string::npos)
            << PQerrorMessage(conn.get());
      }
    }
  }
}

TEST_F(AuthMatrix, ScramOverTwoTlsLegsWithDefaultChannelBindingFailsClearly) {
  auto conn = connect(conninfo({true, true}, kScramUser));
  EXPECT_NE(PQstatus(conn.get()), CONNECTION_OK);
  EXPECT_NE(std::string(PQerrorMessage(conn.get())).find("channel binding"), std::string::npos)
      << PQerrorMessage(conn.get());
}

TEST_F(AuthMatrix, ScramPlusWorksOverTwoTlsLegsWhenPgtallyPresentsTheServersCertificate) {
  // tls-server-end-point binds the server certificate's hash: the same certificate on both
  // legs gives both TLS sessions the same binding data.
  RunningProxy same_certificate(config_for({true, true}, true));
  auto conn = connect_ok(same_certificate.conninfo(kScramUser,
                                                   "sslmode=require "
                                                   "channel_binding=require"));
  EXPECT_EQ(scalar(conn.get(), "SELECT current_user"), kScramUser);
}

TEST_F(AuthMatrix, RequiredChannelBindingWhereItCannotWorkFailsClearly) {
  for (const Legs legs : {Legs{false, true}, Legs{false, false}, Legs{true, false}}) {
    SCOPED_TRACE(leg_name(legs));
    auto conn = connect(conninfo(legs, kScramUser, "channel_binding=require"));
    EXPECT_NE(PQstatus(conn.get()), CONNECTION_OK);
    EXPECT_NE(std::string(PQerrorMessage(conn.get())).find("channel binding"), std::string::npos)
        << PQerrorMessage(conn.get());
  }
}

TEST_F(AuthMatrix, PlainClientOfATlsServerIsNotOfferedScramPlus) {
  // Offered but impossible (the client has no TLS session to bind), so pgtally removes it.
  RawClient client(proxy({false, true}).port());
  client.send(startup_packet(
      196608, {{"user", std::string(kScramUser)}, {"database", std::string(kTestDatabase)}}));
  const auto offer = client.read_message();
  ASSERT_TRUE(offer.has_value());
  ASSERT_EQ(offer->type, 'R');
  EXPECT_NE(offer->payload.find("SCRAM-SHA-256"), std::string::npos);
  EXPECT_EQ(offer->payload.find("SCRAM-SHA-256-PLUS"), std::string::npos);
  // The same offer straight from the server includes it.
  RawClient straight(postgres().port());
  straight.send(length_prefixed(8, std::string("\x04\xd2\x16\x2f", 4)));
  EXPECT_EQ(straight.read_bytes(1), "S");  // (not continued: only the answer matters)
}

}  // namespace
}  // namespace pgtally::testing
