// Per-fingerprint statistics in the manner of pg_stat_statements: calls, total/mean/min/max/
// stddev time, rows, a latency histogram and errors by SQLSTATE. Bounded to the first top_k
// fingerprints (their series stay until restart); the rest add up in one "other" entry.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzer/fingerprint.hpp"

namespace pgtally::analyzer {

// Upper bounds of the latency buckets, in seconds (Prometheus `le`); the last bucket is +Inf.
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

struct FingerprintStat {
  Fingerprint fingerprint = 0;  // 0 for the "other" entry
  std::string normalized;       // "other" for the other entry
  StatementKind kind = StatementKind::other;
  std::uint64_t calls = 0;
  std::uint64_t rows = 0;
  double total_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
  double m2 = 0;  // Welford's running sum of squared deviations
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};  // not cumulative
  std::map<std::string, std::uint64_t> errors;  // SQLSTATE -> count, at most kMaxSqlstates

  static constexpr std::size_t kMaxSqlstates = 16;
  [[nodiscard]] double stddev_ms() const;  // population, as pg_stat_statements
  void record(std::chrono::nanoseconds took, std::uint64_t rows, const std::string* sqlstate);
};

class FingerprintStats {
 public:
  explicit FingerprintStats(std::size_t top_k = 500);

  void record(const FingerprintInfo& info, std::chrono::nanoseconds took, std::uint64_t rows,
              const std::string* sqlstate);

  [[nodiscard]] std::vector<FingerprintStat> snapshot() const;  // by total time, "other" last
  [[nodiscard]] const FingerprintStat* find(Fingerprint fp) const;
  [[nodiscard]] const FingerprintStat& other() const { return other_; }
  [[nodiscard]] std::size_t size() const { return stats_.size(); }

 private:
  std::size_t top_k_;
  std::unordered_map<Fingerprint, FingerprintStat> stats_;
  FingerprintStat other_;
};

}  // namespace pgtally::analyzer
