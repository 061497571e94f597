#include "proxy/wire/query_messages.hpp"

#include <string>

#include <gtest/gtest.h>

#include "proxy/wire/byte_order.hpp"

namespace pgtally::wire {
namespace {

std::string cstr(std::string_view s) {
  return std::string(s) + '\0';
}
std::string u16(std::uint16_t v) {
  return {static_cast<char>(v >> 8U), static_cast<char>(v & 0xFFU)};
}
std::string u32(std::uint32_t v) {
  std::string out;
  append_u32(out, v);
  return out;
}
std::string value(std::string_view v) {
  return u32(static_cast<std::uint32_t>(v.size())) + std::string(v);
}

std::uint32_t length_of(const std::string& payload) {
  return static_cast<std::uint32_t>(payload.size() + 4);
}

const std::string kBind = cstr("p1") + cstr("s1") + u16(2) + u16(0) + u16(1) + u16(3) +
                          value("42") + u32(0xFFFFFFFFU) + value(std::string("\0\0\0\7", 4)) +
                          u16(0);

TEST(QueryMessages, Query) {
  const std::string payload = cstr("SELECT 1 /* tag */");
  const auto q = parse_query(as_bytes(payload), length_of(payload));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->text, "SELECT 1 /* tag */");
  EXPECT_FALSE(q->truncated);
  const auto cut = parse_query(as_bytes(payload).first(6), length_of(payload));
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->text, "SELECT");
  EXPECT_TRUE(cut->truncated);
}

TEST(QueryMessages, Parse) {
  const std::string payload = cstr("s1") + cstr("SELECT $1, $2") + u16(2) + u32(23) + u32(25);
  const auto p = parse_parse(as_bytes(payload), length_of(payload));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->statement, "s1");
  EXPECT_EQ(p->text, "SELECT $1, $2");
  EXPECT_EQ(p->parameter_types, (std::vector<std::uint32_t>{23, 25}));
}

TEST(QueryMessages, BindWithNullsBinaryAndPerParameterFormats) {
  const auto b = parse_bind(as_bytes(kBind), length_of(kBind));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->portal, "p1");
  EXPECT_EQ(b->statement, "s1");
  ASSERT_EQ(b->values.size(), 3U);
  EXPECT_EQ(as_chars(b->values[0].bytes), "42");
  EXPECT_TRUE(b->values[1].is_null);
  EXPECT_EQ(b->values[2].length, 4U);
  EXPECT_EQ(b->format_of(0), 0);
  EXPECT_EQ(b->format_of(1), 1);
  EXPECT_EQ(b->format_of(2), 0);  // beyond the listed codes
  EXPECT_FALSE(b->truncated);
}

TEST(QueryMessages, EveryCutOfABindIsEitherRefusedOrMarkedTruncated) {
  for (std::size_t cut = 0; cut < kBind.size(); ++cut) {
    const auto b = parse_bind(as_bytes(kBind).first(cut), length_of(kBind));
    if (b) {
      EXPECT_TRUE(b->truncated || b->values.size() == 3U) << "cut at " << cut;
    }
  }
}

TEST(QueryMessages, MalformedWholeMessagesAreRefused) {
  const std::string no_terminator = "SELECT";
  EXPECT_FALSE(parse_query(as_bytes(no_terminator), length_of(no_terminator)).has_value());
  const std::string bad_length = cstr("") + cstr("") + u16(0) + u16(1) + u32(0xFFFFFFF0U);
  EXPECT_FALSE(parse_bind(as_bytes(bad_length), length_of(bad_length)).has_value());
}

struct Tag {
  const char* tag;
  const char* command;
  std::optional<std::uint64_t> rows;
};

class CommandCompleteTags : public ::testing::TestWithParam<Tag> {};

TEST_P(CommandCompleteTags, GiveCommandAndRows) {
  const std::string payload = cstr(GetParam().tag);
  const auto c = parse_command_complete(as_bytes(payload));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->command, GetParam().command);
  EXPECT_EQ(c->rows, GetParam().rows);
}

INSTANTIATE_TEST_SUITE_P(
    QueryMessages, CommandCompleteTags,
    ::testing::Values(Tag{"SELECT 5", "SELECT", 5}, Tag{"INSERT 0 3", "INSERT", 3},
                      Tag{"UPDATE 12", "UPDATE", 12}, Tag{"DELETE 0", "DELETE", 0},
                      Tag{"COPY 20000", "COPY", 20000}, Tag{"BEGIN", "BEGIN", std::nullopt},
                      Tag{"CREATE TABLE", "CREATE", std::nullopt}),
    [](const ::testing::TestParamInfo<Tag>& param_info) {
      std::string name = param_info.param.tag;
      for (char& c : name) {
        if (c == ' ') c = '_';
      }
      return name;
    });

TEST(QueryMessages, DataRowAndExecuteAndClose) {
  const std::string row = u16(2) + value("7") + u32(0xFFFFFFFFU);
  const auto d = parse_data_row(as_bytes(row), length_of(row));
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->columns.size(), 2U);
  EXPECT_EQ(as_chars(d->columns[0].bytes), "7");
  EXPECT_TRUE(d->columns[1].is_null);
  const auto cut = parse_data_row(as_bytes(row).first(5), length_of(row));
  ASSERT_TRUE(cut.has_value());
  EXPECT_TRUE(cut->truncated);

  const std::string execute = cstr("p1") + u32(0);
  EXPECT_EQ(parse_execute(as_bytes(execute))->portal, "p1");
  const std::string close = "S" + cstr("s1");
  EXPECT_EQ(parse_close(as_bytes(close))->name, "s1");
  EXPECT_FALSE(parse_close(as_bytes(std::string("X") + cstr("s1"))).has_value());
  const std::string describe = "P" + cstr("");
  ASSERT_TRUE(parse_describe(as_bytes(describe)).has_value());
  EXPECT_EQ(parse_describe(as_bytes(describe))->kind, 'P');
  EXPECT_EQ(parse_describe(as_bytes(describe))->name, "");
  EXPECT_FALSE(parse_describe(as_bytes("S" + cstr("s1") + "x")).has_value());
}

}  // namespace
}  // namespace pgtally::wire
