// Keyed 64-bit hashing of values (SipHash-2-4 with a random key per process), so parameters and
// sampled result values can be linked without ever being stored. The analyzer owns one hasher;
// producers (the proxy's observer, the ORM's hooks) borrow it to hash Bind and DataRow values.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "analyzer/event.hpp"

namespace pgtally::analyzer {

class ValueHasher {
 public:
  using Key = std::array<std::uint64_t, 2>;

  ValueHasher();                                // random key from std::random_device
  explicit ValueHasher(Key key) : key_(key) {}  // fixed key: tests only

  // Hash of a value's canonical text form (a binary int or uuid is first turned into its text).
  // Its lowest bit says whether the value is id-like (an integer or a uuid): see is_id_like.
  [[nodiscard]] ValueHash hash_text(std::string_view text) const;
  // Binary-format helpers for Bind/DataRow values, big-endian as on the wire.
  [[nodiscard]] ValueHash hash_binary_int(std::string_view bytes) const;   // int2/int4/int8
  [[nodiscard]] ValueHash hash_binary_uuid(std::string_view bytes) const;  // 16 bytes

 private:
  Key key_;
};

// Only id-like values link statements: a status, a flag or a name in many rows is no key.
[[nodiscard]] constexpr bool is_id_like(ValueHash hash) {
  return (hash & 1U) != 0;
}

// SipHash-2-4 of `data` under `key` (exposed for the reference-vector test).
[[nodiscard]] std::uint64_t siphash24(const ValueHasher::Key& key, std::string_view data);

// Combines hashes in order (not keyed: inputs are already keyed hashes).
[[nodiscard]] constexpr std::uint64_t hash_combine(std::uint64_t seed, std::uint64_t value) {
  seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6U) + (seed >> 2U);
  return seed;
}

}  // namespace pgtally::analyzer
