// Decoders for the messages that carry queries and their results (Query, Parse, Bind, Execute,
// Close, CommandComplete, DataRow), read from a message's head: a head may be cut short of the
// message, so each decoder takes what is there and says when it was truncated.
// Used by the observer that turns relayed messages into analyzer events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace pgtally::wire {

struct QueryMessage {  // 'Q'
  std::string_view text;
  bool truncated = false;
};

struct ParseMessage {  // 'P'
  std::string_view statement;
  std::string_view text;
  std::vector<std::uint32_t> parameter_types;
  bool truncated = false;
};

struct BoundValue {
  bool is_null = false;
  std::span<const std::byte> bytes;  // may be shorter than the value when truncated
  std::uint32_t length = 0;          // the value's length on the wire
};

// The format of column or parameter i under a list of 0, 1 or n format codes (the protocol's
// rule: none means text, one applies to all).
std::int16_t format_code(const std::vector<std::int16_t>& codes, std::size_t i);

struct BindMessage {  // 'B'
  std::string_view portal;
  std::string_view statement;
  std::vector<std::int16_t> parameter_formats;  // 0, 1 or n codes, as sent
  std::vector<BoundValue> values;
  std::vector<std::int16_t> result_formats;  // 0, 1 or n codes; unknown when truncated
  bool truncated = false;                    // values past the head are missing

  // The format of parameter i, applying the protocol's rules for 0 and 1 codes.
  [[nodiscard]] std::int16_t format_of(std::size_t i) const;
};

struct ExecuteMessage {  // 'E' from the client
  std::string_view portal;
  std::int32_t max_rows = 0;
};

struct TargetMessage {  // Close ('C') and Describe ('D') from the client
  char kind = 'S';      // 'S' statement, 'P' portal
  std::string_view name;
};
using CloseMessage = TargetMessage;
using DescribeMessage = TargetMessage;

struct CommandCompleteMessage {  // 'C' from the server
  std::string_view tag;          // "SELECT 5", "INSERT 0 3", "BEGIN", ...
  std::string_view command;      // the first word
  std::optional<std::uint64_t> rows;
};

struct DataRowMessage {  // 'D'
  std::vector<BoundValue> columns;
  bool truncated = false;
};

struct RowDescriptionMessage {  // 'T'
  struct Field {
    std::uint32_t type_oid = 0;
    std::int16_t format = 0;
    std::uint32_t table_oid = 0;  // 0: not a table's column (an aggregate, an expression)
  };
  std::vector<Field> fields;  // names are not kept
  bool truncated = false;
};

// `head` is the first bytes of the payload; `length` the message's length field.
std::optional<QueryMessage> parse_query(std::span<const std::byte> head, std::uint32_t length);
std::optional<ParseMessage> parse_parse(std::span<const std::byte> head, std::uint32_t length);
std::optional<BindMessage> parse_bind(std::span<const std::byte> head, std::uint32_t length);
std::optional<ExecuteMessage> parse_execute(std::span<const std::byte> payload);
std::optional<CloseMessage> parse_close(std::span<const std::byte> payload);
std::optional<DescribeMessage> parse_describe(std::span<const std::byte> payload);
std::optional<CommandCompleteMessage> parse_command_complete(std::span<const std::byte> payload);
std::optional<RowDescriptionMessage> parse_row_description(std::span<const std::byte> head,
                                                           std::uint32_t length);
std::optional<DataRowMessage> parse_data_row(std::span<const std::byte> head, std::uint32_t length);

}  // namespace pgtally::wire
