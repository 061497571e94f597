// What one execution looked up: the keys its equality / IN / ANY values name, as keyed hashes.
// Built by the engine from a statement's scan and its parameters; the N+1 detector reads it.
#pragma once

#include <cstdint>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/literal_scanner.hpp"

namespace pgtally::analyzer {

struct LookupKeys {
  // Keys looked up: 1 for a point lookup (`id = $1`, `IN (5)`), n for a batch, 0 when the
  // statement names no key or the length of its ANY array is unknown.
  std::uint32_t count = 0;
  std::uint64_t key_hash = 0;     // combined hash of the key values (equality, lists, arrays)
  std::uint64_t values_hash = 0;  // combined hash of every value, LIMIT/OFFSET included
  std::vector<ValueHash> keys;    // individual key values, at most kMaxKeys
  std::vector<ValueHash> values;  // INSERT: every non-null value written, at most kMaxKeys
  static constexpr std::size_t kMaxKeys = 16;
};

// `parameters`: extended protocol, the Bind values ($n is parameters[n-1]); simple protocol,
// lift_literals() output (one per non-parameter literal, in text order).
[[nodiscard]] LookupKeys lookup_keys(const ScanResult& scan,
                                     const std::vector<Parameter>& parameters, Protocol protocol);

}  // namespace pgtally::analyzer
