// The canonical text form of a value before it is hashed, so that a key an ORM binds in one
// text form links to the same key PostgreSQL returns in another: `5.50` and `5.5`, `+7` and `7`,
// `2026-01-02T03:04:05.100Z` and `2026-01-02 03:04:05.1+00`, upper- and lower-case uuids.
// Called by ValueHasher::hash_text on every Bind value, DataRow value and lifted literal.
#pragma once

#include <array>
#include <string_view>

namespace pgtally::analyzer {

// Room for the longest canonical form (a number or a timestamp is at most 48 characters).
using CanonicalBuffer = std::array<char, 64>;

// `text` itself when it has no other canonical form; otherwise the form written into `buffer`.
// Numbers: no `+`, no leading zeros, no trailing fractional zeros, `-0` is `0`.
// Timestamps: `YYYY-MM-DD HH:MM:SS[.fraction]` with the fraction's trailing zeros dropped and
// a zone, when present, as `+HH:MM` (`Z` is `+00:00`). Zones are not converted: an instant
// written in two zones stays two values. UUIDs: lower case.
[[nodiscard]] std::string_view canonical_value(std::string_view text, CanonicalBuffer& buffer);

}  // namespace pgtally::analyzer
