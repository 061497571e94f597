#include "proxy/wire/messages.hpp"

#include <gtest/gtest.h>

#include "tests/wire/wire_builders.hpp"

#include "proxy/wire/byte_order.hpp"

namespace pgtally::wire {
namespace {

using testing::message;
using testing::sasl_offer;

TEST(Messages, StripsScramPlusAndFixesTheLength) {
  const auto stripped =
      strip_scram_plus(as_bytes(sasl_offer({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"})));
  ASSERT_TRUE(stripped.has_value());
  EXPECT_EQ(*stripped, sasl_offer({"SCRAM-SHA-256"}));
}

TEST(Messages, LeavesOffersWithoutPlusAlone) {
  EXPECT_FALSE(strip_scram_plus(as_bytes(sasl_offer({"SCRAM-SHA-256"}))).has_value());
  std::string ok(1, 'R');
  append_u32(ok, 8);
  append_u32(ok, 0);
  EXPECT_FALSE(strip_scram_plus(as_bytes(ok)).has_value());
}

TEST(Messages, ErrorResponseRoundTripsItsSafeFields) {
  const std::string e = error_response("FATAL", "53300", "too many clients", "raise the limit");
  EXPECT_EQ(e[0], 'E');
  EXPECT_EQ(read_u32(as_bytes(e).subspan(1)) + 1, e.size());
  const auto fields = parse_error_fields(as_bytes(e).subspan(5));
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->sqlstate, "53300");
  EXPECT_EQ(fields->severity, "FATAL");
}

TEST(Messages, ErrorFieldsNeverKeepTheMessageOrDetail) {
  std::string body;
  for (std::string_view f :
       {std::string_view("SERROR"), std::string_view("C23505"),
        std::string_view("MKey (email)=(secret@x) exists"),
        std::string_view("DKey (email)=(secret@x)"), std::string_view("nusers_email_key"),
        std::string_view("tusers"), std::string_view("cemail")}) {
    body.append(f);
    body.push_back('\0');
  }
  body.push_back('\0');
  const auto fields = parse_error_fields(as_bytes(body));
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->sqlstate, "23505");
  EXPECT_EQ(fields->constraint, "users_email_key");
  EXPECT_EQ(fields->table, "users");
  EXPECT_EQ(fields->column, "email");
  EXPECT_EQ(fields->severity, "ERROR");
}

TEST(Messages, CompleteMessageSize) {
  std::string m(1, 'Z');
  append_u32(m, 5);
  m.push_back('I');
  EXPECT_EQ(complete_message_size(as_bytes(m), 100), m.size());
  EXPECT_EQ(complete_message_size(as_bytes(m).first(4), 100), 0U);
  EXPECT_EQ(complete_message_size(as_bytes(m).first(5), 100), 0U);
  std::string bad(1, 'Z');
  append_u32(bad, 2);
  EXPECT_FALSE(complete_message_size(as_bytes(bad), 100).has_value());
}

TEST(Messages, ParsesBackendKeyDataAndReadyForQuery) {
  std::string key;
  append_u32(key, 77);
  append_u32(key, 0xFFFFFFFFU);
  const auto parsed = parse_backend_key_data(as_bytes(key));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->pid, 77);
  EXPECT_EQ(parsed->key, -1);
  EXPECT_EQ(parse_ready_for_query(as_bytes("T")), 'T');
  EXPECT_FALSE(parse_ready_for_query(as_bytes("X")).has_value());
}

}  // namespace
}  // namespace pgtally::wire
