#include "proxy/wire/messages.hpp"

#include <vector>

#include "proxy/wire/byte_order.hpp"

namespace pgtally::wire {
namespace {

constexpr std::string_view kScramPlus = "SCRAM-SHA-256-PLUS";

void append_field(std::string& out, char code, std::string_view value) {
  out.push_back(code);
  out.append(value);
  out.push_back('\0');
}

std::string with_header(char type, std::string_view body) {
  std::string out;
  out.reserve(body.size() + kMessageHeaderSize);
  out.push_back(type);
  append_u32(out, static_cast<std::uint32_t>(body.size() + 4));
  out.append(body);
  return out;
}

}  // namespace

std::string error_response(std::string_view severity, std::string_view sqlstate,
                           std::string_view message, std::string_view hint) {
  std::string body;
  append_field(body, 'S', severity);
  append_field(body, 'V', severity);
  append_field(body, 'C', sqlstate);
  append_field(body, 'M', message);
  if (!hint.empty()) append_field(body, 'H', hint);
  body.push_back('\0');
  return with_header(backend::kErrorResponse, body);
}

std::string cancel_request(std::int32_t pid, std::int32_t key) {
  std::string out;
  append_u32(out, 16);
  append_u32(out, kCancelRequestCode);
  append_u32(out, static_cast<std::uint32_t>(pid));
  append_u32(out, static_cast<std::uint32_t>(key));
  return out;
}

std::string ssl_request() {
  std::string out;
  append_u32(out, 8);
  append_u32(out, kSslRequestCode);
  return out;
}

std::optional<BackendKeyData> parse_backend_key_data(std::span<const std::byte> payload) {
  if (payload.size() != 8) return std::nullopt;
  return BackendKeyData{read_i32(payload), read_i32(payload.subspan(4))};
}

std::optional<char> parse_ready_for_query(std::span<const std::byte> payload) {
  if (payload.size() != 1) return std::nullopt;
  const char status = static_cast<char>(payload[0]);
  if (status != 'I' && status != 'T' && status != 'E') return std::nullopt;
  return status;
}

std::optional<AuthCode> parse_auth_code(std::span<const std::byte> payload) {
  if (payload.size() < 4) return std::nullopt;
  return static_cast<AuthCode>(read_i32(payload));
}

std::optional<ErrorFields> parse_error_fields(std::span<const std::byte> payload) {
  ErrorFields fields;
  std::string_view rest = as_chars(payload);
  std::string localized_severity;
  while (!rest.empty() && rest.front() != '\0') {
    const char code = rest.front();
    const auto end = rest.find('\0', 1);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view value = rest.substr(1, end - 1);
    switch (code) {
      case 'S':
        localized_severity = value;
        break;
      case 'V':
        fields.severity = value;
        break;
      case 'C':
        fields.sqlstate = value;
        break;
      case 'n':
        fields.constraint = value;
        break;
      case 't':
        fields.table = value;
        break;
      case 'c':
        fields.column = value;
        break;
      default:
        break;  // M, D, H, W, ... quote values: never kept
    }
    rest.remove_prefix(end + 1);
  }
  if (fields.severity.empty()) fields.severity = localized_severity;
  return fields;
}

std::optional<std::string> strip_scram_plus(std::span<const std::byte> message) {
  if (message.size() < 9 || static_cast<char>(message[0]) != backend::kAuthentication) {
    return std::nullopt;
  }
  const std::uint32_t length = read_u32(message.subspan(1));
  if (length + 1 != message.size()) return std::nullopt;
  if (parse_auth_code(message.subspan(5)) != AuthCode::sasl) return std::nullopt;
  std::string_view rest = as_chars(message.subspan(9));
  std::vector<std::string_view> kept;
  bool removed = false;
  while (!rest.empty() && rest.front() != '\0') {
    const auto end = rest.find('\0');
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view mechanism = rest.substr(0, end);
    if (mechanism == kScramPlus) {
      removed = true;
    } else {
      kept.push_back(mechanism);
    }
    rest.remove_prefix(end + 1);
  }
  if (!removed) return std::nullopt;
  std::string body;
  append_u32(body, static_cast<std::uint32_t>(AuthCode::sasl));
  for (const auto mechanism : kept) {
    body.append(mechanism);
    body.push_back('\0');
  }
  body.push_back('\0');
  return with_header(backend::kAuthentication, body);
}

std::optional<std::size_t> complete_message_size(std::span<const std::byte> bytes,
                                                 std::uint32_t max_length) {
  if (bytes.size() < kMessageHeaderSize) return 0;
  const std::uint32_t length = read_u32(bytes.subspan(1));
  if (length < 4 || length > max_length) return std::nullopt;
  const std::size_t total = std::size_t{length} + 1;
  return bytes.size() >= total ? total : 0;
}

}  // namespace pgtally::wire
