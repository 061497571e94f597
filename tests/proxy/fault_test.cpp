// Bad input and failures around pgtally end in a clear error or a clean close, never a crash,
// a hang or a leak: upstream down and back, clients gone mid-query, malformed and oversized
// messages, stalled startups, the client limit.
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/messages.hpp"
#include "tests/proxy/proxy_fixture.hpp"
#include "tests/proxy/raw_client.hpp"

namespace pgtally::testing {
namespace {

std::string sqlstate_of(const RawMessage& message) {
  if (message.type != 'E') return fmt::format("not an error: '{}'", message.type);
  const auto fields = wire::parse_error_fields(wire::as_bytes(message.payload));
  return fields ? fields->sqlstate : "unparsable";
}

std::string message_of(const RawMessage& message) {
  std::string_view rest = message.payload;
  while (!rest.empty() && rest.front() != '\0') {
    const auto end = rest.find('\0');
    if (rest.front() == 'M') return std::string(rest.substr(1, end - 1));
    rest.remove_prefix(end + 1);
  }
  return {};
}

std::string direct() {
  return postgres().conninfo() + " sslmode=disable";
}

// The proxy still serves ordinary clients.
void expect_serving(const RunningProxy& proxy) {
  auto conn = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  EXPECT_EQ(scalar(conn.get(), "SELECT 'serving'"), "serving");
}

TEST(Faults, UpstreamDownGives08006AndServesAgainWhenItIsBack) {
  RunningProxy proxy;
  postgres().stop();
  {
    RawClient client(proxy.port());
    client.send(startup_packet(196608, {{"user", std::string(kTrustUser)}}));
    const auto reply = client.read_message();
    postgres().start();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(sqlstate_of(*reply), "08006");
    EXPECT_NE(message_of(*reply).find("cannot connect to the PostgreSQL server"), std::string::npos)
        << message_of(*reply);
    EXPECT_TRUE(client.closed_by_peer());
  }
  expect_serving(proxy);
}

TEST(Faults, ClientGoneMidQueryLeavesNoBackendRunningIt) {
  RunningProxy proxy;
  RawClient client(proxy.port());
  const auto startup = client.startup(kTrustUser, kTestDatabase);
  ASSERT_FALSE(startup.empty());
  ASSERT_EQ(startup.back().type, 'Z');
  client.send(typed_message('Q', std::string("SELECT pg_sleep(300) /* gone-mid-query */") + '\0'));
  auto observer = connect_ok(direct());
  const std::string find_it =
      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%gone-mid-query%' AND pid <> "
      "pg_backend_pid()";
  ASSERT_TRUE(eventually([&] { return scalar(observer.get(), find_it) == "1"; }));
  client.close();  // no Terminate: the client process died
  EXPECT_TRUE(eventually([&] { return scalar(observer.get(), find_it) == "0"; }))
      << "the backend still runs the query of a client that is gone";
  expect_serving(proxy);
}

struct BadStartup {
  const char* name;
  std::string bytes;
  const char* sqlstate;  // empty: closed with no reply, as PostgreSQL does
};

class MalformedStartup : public ::testing::TestWithParam<BadStartup> {
 protected:
  static void SetUpTestSuite() { proxy_ = new RunningProxy(); }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
  }
  static RunningProxy* proxy_;
};
RunningProxy* MalformedStartup::proxy_ = nullptr;

TEST_P(MalformedStartup, GetsAnErrorOrNothingAndIsClosedWhileOthersGoOn) {
  auto bystander = connect_ok(proxy_->conninfo(kTrustUser, "sslmode=disable"));
  RawClient client(proxy_->port());
  client.send(GetParam().bytes);
  const auto reply = client.read_message();
  if (std::string_view(GetParam().sqlstate).empty()) {
    EXPECT_FALSE(reply.has_value())
        << "a reply to bytes that are no startup packet: " << message_of(*reply);
  } else {
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(sqlstate_of(*reply), GetParam().sqlstate) << message_of(*reply);
    EXPECT_FALSE(message_of(*reply).empty());
  }
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(scalar(bystander.get(), "SELECT 'unaffected'"), "unaffected");
}

INSTANTIATE_TEST_SUITE_P(
    Faults, MalformedStartup,
    ::testing::Values(
        BadStartup{"LengthBelowEight", length_prefixed(7, "abc"), ""},
        BadStartup{"LengthAboveTheProtocolLimit", length_prefixed(10005, "x"), ""},
        BadStartup{"TwoGigabyteLength", length_prefixed(0x80000000U, "x"), ""},
        // node-postgres's connect() then end() at once: its Terminate goes before the startup.
        BadStartup{"TerminateBeforeStartup", std::string("X\0\0\0\4", 5), ""},
        BadStartup{"ProtocolVersion2", startup_packet(2U << 16U, {{"user", "x"}}), "0A000"},
        BadStartup{"NoUser", startup_packet(196608, {{"database", "x"}}), "28000"},
        BadStartup{"ParameterWithoutValue", length_prefixed(13, std::string("\0\3\0\0user\0", 9)),
                   "08P01"}),
    [](const ::testing::TestParamInfo<BadStartup>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(Faults, TwoGigabyteMessageLengthAfterStartupGets08P01) {
  RunningProxy proxy;
  auto bystander = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  RawClient client(proxy.port());
  ASSERT_EQ(client.startup(kTrustUser, kTestDatabase).back().type, 'Z');
  std::string huge(1, 'Q');
  wire::append_u32(huge, 0x80000000U);
  client.send(huge + "SELECT");
  const auto reply = client.read_message();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(sqlstate_of(*reply), "08P01");
  EXPECT_NE(message_of(*reply).find("2147483648"), std::string::npos) << message_of(*reply);
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(scalar(bystander.get(), "SELECT 'unaffected'"), "unaffected");
}

TEST(Faults, StalledStartupsAreClosed) {
  Config config = proxy_config();
  config.startup_timeout = std::chrono::seconds(1);
  RunningProxy proxy(config);
  RawClient silent(proxy.port());
  RawClient half(proxy.port());
  half.send(length_prefixed(40, "\0\3\0\0us"));  // a startup that never finishes
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_TRUE(half.closed_by_peer());
  EXPECT_GE(proxy.proxy().shared().counters.startup_timeouts.load(), 2U);
  expect_serving(proxy);
}

TEST(Faults, ClientOverTheLimitGets53300NamingTheLimit) {
  Config config = proxy_config();
  config.max_client_conn = 2;
  RunningProxy proxy(config);
  auto first = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  auto second = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  RawClient third(proxy.port());
  third.send(startup_packet(196608, {{"user", std::string(kTrustUser)}}));
  const auto reply = third.read_message();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(sqlstate_of(*reply), "53300");
  EXPECT_NE(message_of(*reply).find("max_client_conn is 2"), std::string::npos)
      << message_of(*reply);
  first.reset();
  EXPECT_TRUE(eventually([&] {
    auto again = connect(proxy.conninfo(kTrustUser, "sslmode=disable"));
    return PQstatus(again.get()) == CONNECTION_OK;
  }));
}

TEST(Faults, EncryptionRequestsAreDeclinedWithoutTls) {
  RunningProxy proxy;
  RawClient client(proxy.port());
  client.send(length_prefixed(8, std::string("\x04\xd2\x16\x2f", 4)));  // SSLRequest
  EXPECT_EQ(client.read_bytes(1), "N");
  client.send(length_prefixed(8, std::string("\x04\xd2\x16\x30", 4)));  // GSSENCRequest
  EXPECT_EQ(client.read_bytes(1), "N");
  const auto seen = client.startup(kTrustUser, kTestDatabase);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().type, 'Z');
}

TEST(Faults, NegotiateProtocolVersionIsRelayed) {
  RunningProxy proxy;
  RawClient client(proxy.port());
  client.send(startup_packet(196608 + 7, {{"user", std::string(kTrustUser)},
                                          {"database", std::string(kTestDatabase)},
                                          {"_pq_.pgtally_test", "1"}}));
  const auto first = client.read_message();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->type, 'v');
  bool ready = false;
  while (auto message = client.read_message()) {
    if (message->type == 'Z') {
      ready = true;
      break;
    }
  }
  EXPECT_TRUE(ready);
}

TEST(Faults, CancelWithAnUnknownKeyIsIgnored) {
  RunningProxy proxy;
  auto conn = connect_ok(proxy.conninfo(kTrustUser, "sslmode=disable"));
  RawClient client(proxy.port());
  client.send(wire::cancel_request(PQbackendPID(conn.get()), 12345));
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(scalar(conn.get(), "SELECT 'not cancelled'"), "not cancelled");
}

}  // namespace
}  // namespace pgtally::testing
