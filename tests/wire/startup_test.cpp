#include "proxy/wire/startup.hpp"

#include <gtest/gtest.h>

#include "proxy/wire/byte_order.hpp"
#include "proxy/wire/messages.hpp"
#include "proxy/wire/protocol.hpp"

namespace pgtally::wire {
namespace {

std::string packet(std::uint32_t code, std::string_view body) {
  std::string out;
  append_u32(out, static_cast<std::uint32_t>(body.size() + 8));
  append_u32(out, code);
  out.append(body);
  return out;
}

std::string startup_body(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string body;
  for (const auto& [k, v] : kv) {
    body.append(k);
    body.push_back('\0');
    body.append(v);
    body.push_back('\0');
  }
  body.push_back('\0');
  return body;
}

TEST(Startup, ParsesParameters) {
  const auto p =
      packet(kProtocolV3,
             startup_body({{"user", "app"}, {"database", "shop"}, {"application_name", "web"}}));
  const auto parsed = parse_startup_packet(as_bytes(p));
  const auto* message = std::get_if<StartupMessage>(&parsed);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->parameter("user"), "app");
  EXPECT_EQ(message->parameter("database"), "shop");
  EXPECT_EQ(message->parameter("application_name"), "web");
  EXPECT_EQ(message->parameter("missing"), "");
}

TEST(Startup, RecognizesSslGssAndCancel) {
  EXPECT_TRUE(std::holds_alternative<SslRequest>(parse_startup_packet(as_bytes(ssl_request()))));
  EXPECT_TRUE(std::holds_alternative<GssEncRequest>(
      parse_startup_packet(as_bytes(packet(kGssEncRequestCode, "")))));
  const auto cancel = parse_startup_packet(as_bytes(cancel_request(4242, -7)));
  ASSERT_TRUE(std::holds_alternative<CancelRequest>(cancel));
  EXPECT_EQ(std::get<CancelRequest>(cancel).pid, 4242);
  EXPECT_EQ(std::get<CancelRequest>(cancel).key, -7);
}

TEST(Startup, NewerMinorVersionIsPassedOnForTheServerToNegotiate) {
  const auto parsed =
      parse_startup_packet(as_bytes(packet(kProtocolV3 + 2, startup_body({{"user", "a"}}))));
  ASSERT_TRUE(std::holds_alternative<StartupMessage>(parsed));
  EXPECT_EQ(std::get<StartupMessage>(parsed).version, kProtocolV3 + 2);
}

struct BadStartup {
  const char* name;
  std::string bytes;
  const char* sqlstate;
};

class StartupRejects : public ::testing::TestWithParam<BadStartup> {};

TEST_P(StartupRejects, WithSqlstate) {
  const auto parsed = parse_startup_packet(as_bytes(GetParam().bytes));
  const auto* error = std::get_if<StartupError>(&parsed);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->sqlstate, GetParam().sqlstate);
  EXPECT_FALSE(error->message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Startup, StartupRejects,
    ::testing::Values(
        BadStartup{"Protocol2", packet(2U << 16U, startup_body({{"user", "a"}})), "0A000"},
        BadStartup{"NoUser", packet(kProtocolV3, startup_body({{"database", "d"}})), "28000"},
        BadStartup{"NoTerminator", packet(kProtocolV3, std::string("user\0a\0", 7)), "08P01"},
        BadStartup{"KeyWithoutValue", packet(kProtocolV3, std::string("user\0a\0x", 8)), "08P01"},
        BadStartup{"ShortCancel", packet(kCancelRequestCode, "1234"), "08P01"},
        BadStartup{"LongSsl", packet(kSslRequestCode, "x"), "08P01"},
        BadStartup{"Truncated", std::string("\0\0\0", 3), "08P01"}),
    [](const ::testing::TestParamInfo<BadStartup>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(Startup, LengthBounds) {
  EXPECT_TRUE(check_startup_length(7).has_value());
  EXPECT_FALSE(check_startup_length(8).has_value());
  EXPECT_FALSE(check_startup_length(10004).has_value());  // 10000 after the length word
  EXPECT_TRUE(check_startup_length(10005).has_value());
  EXPECT_EQ(check_startup_length(0x80000000U)->sqlstate, "08P01");
}

}  // namespace
}  // namespace pgtally::wire
