// Every threshold and bound of the analyzer, with the defaults DESIGN.md gives. The proxy fills
// it from its config file and flags; tests construct it directly.
#pragma once

#include <chrono>
#include <cstddef>

#include "analyzer/attribution.hpp"
#include "analyzer/metrics_recorder.hpp"
#include "analyzer/n_plus_one.hpp"
#include "analyzer/pool_detector.hpp"
#include "analyzer/request_ledger.hpp"

namespace pgtally::analyzer {

struct AnalyzerConfig {
  AttributionConfig attribution;  // untagged units: idle gap 100 ms, link window 2 s
  std::chrono::milliseconds request_idle_timeout{1000};  // a request ends after this much idle
  // ... unless it holds a connection inside a transaction: it idles there (idle in transaction)
  // and its COMMIT still belongs to it. Bounded, for a transaction left open for good.
  std::chrono::milliseconds request_in_transaction_timeout{60000};
  std::chrono::milliseconds inferred_max_duration{10000};  // an untagged unit is cut at 10 s
  std::size_t max_unit_statements = 1000;                  // ... or at this many statements
  std::size_t max_live_requests = 10000;  // full: the least recently active sixteenth ends
  std::size_t finished_requests = 10000;  // kept for the API
  LedgerLimits ledger;
  QueryPatternConfig patterns;  // N+1 threshold 5, ...
  PoolConfig pool;              // saturation 90% of 5 s, idle in transaction 2 s, churn 10 / 10 s
  std::size_t fingerprint_cache = 20000;  // statement shapes
  std::size_t fingerprint_top_k = 500;    // fingerprints with their own statistics
  std::size_t max_findings = 2000;        // finding groups
  std::size_t max_prepared_per_connection = 256;
  std::size_t max_text_bytes = std::size_t{64} * 1024;  // statement text analysed (the rest is cut)
  MetricsLimits metrics;                                // top-K label values per family
  bool value_sampling = true;  // off: no parameter / result hashes, so no key-based detection
};

}  // namespace pgtally::analyzer
