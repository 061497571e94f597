// Statement fingerprints and normalized text from libpg_query, behind a cache keyed by the
// literal scanner's shape hash, so repeated shapes with new literals cost a scan, not a parse.
// Owned by the analyzer thread (one Fingerprinter per thread; it is not thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "analyzer/literal_scanner.hpp"

namespace pgtally::analyzer {

using Fingerprint = std::uint64_t;

struct FingerprintInfo {
  Fingerprint fingerprint = 0;
  std::string normalized;  // comments stripped, every literal a `$n`: safe to display
  std::string key_column;  // column compared to the first lookup key, e.g. `id` (may be empty)
  StatementKind kind = StatementKind::other;
  bool has_from = false;  // reads a table: `SELECT 1` or `SELECT now()` does not
  bool parsed = true;  // false: libpg_query rejected the text; fingerprint from the redacted text
};

// "a0ead580058af585": the form libpg_query prints and the API shows.
[[nodiscard]] std::string fingerprint_hex(Fingerprint fp);

// Fingerprints one statement with libpg_query, no cache. `scan` is scan_sql(text).
// libpg_query (15-4.x) keeps its memory context per thread, so concurrent calls from different
// threads are safe; older releases raced on first use, which is why each Fingerprinter (and so
// each thread) is expected to make its first call before it is shared with anything else.
[[nodiscard]] FingerprintInfo fingerprint_uncached(std::string_view text, const ScanResult& scan);

class Fingerprinter {
 public:
  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t parse_failures = 0;
    std::uint64_t evictions = 0;
  };

  // `capacity`: shapes kept; the cache keeps two generations of at most capacity/2 each, so a
  // shape in use survives and one not seen for a generation is dropped.
  explicit Fingerprinter(std::size_t capacity = 20000);

  // The info for `text`, whose scan is `scan` (shared: ledgers keep it for display).
  const std::shared_ptr<const FingerprintInfo>& fingerprint(std::string_view text,
                                                            const ScanResult& scan);

  [[nodiscard]] const Stats& stats() const { return stats_; }
  [[nodiscard]] std::size_t size() const { return current_.size() + previous_.size(); }

 private:
  using Map = std::unordered_map<std::uint64_t, std::shared_ptr<const FingerprintInfo>>;
  std::size_t generation_capacity_;
  Map current_;
  Map previous_;
  Stats stats_;
};

}  // namespace pgtally::analyzer
