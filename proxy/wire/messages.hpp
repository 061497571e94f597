// Encoders and decoders for the few backend and frontend messages the relay itself looks into:
// errors it sends, cancel and TLS requests, BackendKeyData, ReadyForQuery, authentication.
// Payload arguments are message bodies without the type byte and length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/wire/protocol.hpp"

namespace pgtally::wire {

// A whole ErrorResponse message ('E', length, S/V/C/M[/H] fields).
std::string error_response(std::string_view severity, std::string_view sqlstate,
                           std::string_view message, std::string_view hint = {});

std::string cancel_request(std::int32_t pid, std::int32_t key);
std::string ssl_request();

struct BackendKeyData {
  std::int32_t pid = 0;
  std::int32_t key = 0;
};
std::optional<BackendKeyData> parse_backend_key_data(std::span<const std::byte> payload);

// 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
std::optional<char> parse_ready_for_query(std::span<const std::byte> payload);

std::optional<AuthCode> parse_auth_code(std::span<const std::byte> payload);

// The fields of an ErrorResponse or NoticeResponse that carry no values from queries.
struct ErrorFields {
  std::string severity;  // non-localized (V), else S
  std::string sqlstate;
  std::string constraint;
  std::string table;
  std::string column;
};
std::optional<ErrorFields> parse_error_fields(std::span<const std::byte> payload);

// For a whole AuthenticationSASL message that offers SCRAM-SHA-256-PLUS, the same message
// without it; nullopt when there is nothing to remove or the message is not one.
std::optional<std::string> strip_scram_plus(std::span<const std::byte> message);

// The size (type byte included) of the complete message at the start of `bytes`, 0 when more
// bytes are needed, nullopt when its length field is invalid.
std::optional<std::size_t> complete_message_size(std::span<const std::byte> bytes,
                                                 std::uint32_t max_length);

}  // namespace pgtally::wire
