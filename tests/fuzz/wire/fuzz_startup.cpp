// Arbitrary bytes as a client's first packet, as the server's error and auth messages and as a
// result value whose keys are sampled: the parsers must answer or refuse, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/wire/messages.hpp"
#include "proxy/wire/query_messages.hpp"
#include "proxy/wire/startup.hpp"
#include "proxy/wire/value_keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  const auto parsed = pgtally::wire::parse_startup_packet(bytes);
  if (const auto* message = std::get_if<pgtally::wire::StartupMessage>(&parsed)) {
    if (message->parameter("user").empty()) __builtin_trap();  // refused earlier
  }
  (void)pgtally::wire::parse_error_fields(bytes);
  (void)pgtally::wire::strip_scram_plus(bytes);
  (void)pgtally::wire::parse_backend_key_data(bytes);
  (void)pgtally::wire::complete_message_size(bytes, 1U << 20U);
  // Heads cut anywhere, with the whole message's length declared larger or exact.
  const auto declared = static_cast<std::uint32_t>(size + 4 + (size % 3 == 0 ? 0 : size));
  (void)pgtally::wire::parse_query(bytes, declared);
  (void)pgtally::wire::parse_parse(bytes, declared);
  if (const auto bind = pgtally::wire::parse_bind(bytes, declared)) {
    for (std::size_t i = 0; i < bind->values.size(); ++i)
      (void)bind->format_of(i);
  }
  (void)pgtally::wire::parse_data_row(bytes, declared);
  (void)pgtally::wire::parse_execute(bytes);
  (void)pgtally::wire::parse_close(bytes);
  (void)pgtally::wire::parse_describe(bytes);
  (void)pgtally::wire::parse_command_complete(bytes);
  // The same bytes as a result value: keys come out non-empty, numbered from 1, within the limit.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint16_t last = 0;
  constexpr std::uint16_t kMost = 64;
  auto each = [&](std::string_view key, std::uint16_t index) {
    if (key.empty() || index <= last) __builtin_trap();
    last = index;
  };
  pgtally::wire::for_each_json_key(text, size % 2 == 0, kMost, each);
  if (last > kMost) __builtin_trap();
  last = 0;
  pgtally::wire::for_each_array_element(text, each);
  return 0;
}
