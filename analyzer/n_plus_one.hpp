// Query-pattern detection over one finished request ledger: N+1 (with its parent query when
// sampled values link them), repeated identical queries, repeated point lookups and bulk write
// loops, per DESIGN.md "What counts as N+1". Pure: the engine calls it when a request ends.
#pragma once

#include <cstdint>
#include <vector>

#include "analyzer/finding.hpp"
#include "analyzer/request_ledger.hpp"

namespace pgtally::analyzer {

struct QueryPatternConfig {
  std::uint32_t n_plus_one_threshold = 5;      // executions of one point-lookup fingerprint
  std::uint32_t repeated_query_threshold = 5;  // identical executions (same values)
  std::uint32_t bulk_write_threshold = 5;      // single-row writes of one fingerprint
  std::uint32_t high_severity_factor = 4;      // count >= threshold * factor: high severity
  bool values_known = true;  // false with value sampling off: keys and repeats cannot be told
};

[[nodiscard]] std::vector<Finding> detect_query_patterns(const RequestLedger& ledger,
                                                         const QueryPatternConfig& config);

}  // namespace pgtally::analyzer
