#include "analyzer/value_hasher.hpp"

#include "analyzer/canonical_value.hpp"

#include <array>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, unsigned b) {
  return (x << b) | (x >> (64U - b));
}

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
};

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < 8; ++i)
    v |= static_cast<std::uint64_t>(p[i]) << (8U * i);
  return v;
}

}  // namespace

std::uint64_t siphash24(const ValueHasher::Key& key, std::string_view data) {
  SipState s{key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
             key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  const std::size_t full = n - (n % 8);
  for (std::size_t i = 0; i < full; i += 8) {
    const std::uint64_t m = load_le64(p + i);
    s.v3 ^= m;
    s.round();
    s.round();
    s.v0 ^= m;
  }
  std::uint64_t last = static_cast<std::uint64_t>(n & 0xffU) << 56U;
  for (std::size_t i = full; i < n; ++i)
    last |= static_cast<std::uint64_t>(p[i]) << (8U * (i - full));
  s.v3 ^= last;
  s.round();
  s.round();
  s.v0 ^= last;
  s.v2 ^= 0xffU;
  s.round();
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

ValueHasher::ValueHasher() {
  std::random_device rd;
  auto draw = [&rd] { return (static_cast<std::uint64_t>(rd()) << 32U) | rd(); };
  key_ = {draw(), draw()};
}

namespace {

bool id_like_text(std::string_view canonical) {
  if (canonical.size() == 36) {
    for (std::size_t i = 0; i < canonical.size(); ++i) {
      const char c = canonical[i];
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      if (dash ? c != '-' : !hex) return false;
    }
    return true;
  }
  if (!canonical.empty() && canonical.front() == '-') canonical.remove_prefix(1);
  if (canonical.empty() || canonical.size() > 20) return false;
  for (const char c : canonical) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

ValueHash tag_id_like(std::uint64_t hash, std::string_view canonical) {
  return (hash & ~std::uint64_t{1}) | (id_like_text(canonical) ? 1U : 0U);
}

}  // namespace

ValueHash ValueHasher::hash_text(std::string_view text) const {
  CanonicalBuffer buffer;
  const std::string_view canonical = canonical_value(text, buffer);
  return tag_id_like(siphash24(key_, canonical), canonical);
}

ValueHash ValueHasher::hash_binary_int(std::string_view bytes) const {
  if (bytes.size() != 2 && bytes.size() != 4 && bytes.size() != 8) return hash_text(bytes);
  std::uint64_t raw = 0;
  for (const char c : bytes)
    raw = (raw << 8U) | static_cast<unsigned char>(c);
  std::int64_t value = 0;
  if (bytes.size() == 2) {
    value = static_cast<std::int16_t>(static_cast<std::uint16_t>(raw));
  } else if (bytes.size() == 4) {
    value = static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
  } else {
    std::memcpy(&value, &raw, sizeof value);
  }
  std::array<char, 24> text{};
  const auto* end = fmt::format_to_n(text.data(), text.size(), "{}", value).out;
  const std::string_view canonical(text.data(), static_cast<std::size_t>(end - text.data()));
  return tag_id_like(siphash24(key_, canonical), canonical);
}

ValueHash ValueHasher::hash_binary_uuid(std::string_view bytes) const {
  if (bytes.size() != 16) return hash_text(bytes);
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  }
  return hash_text(text);
}

}  // namespace pgtally::analyzer
