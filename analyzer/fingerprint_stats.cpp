#include "analyzer/fingerprint_stats.hpp"

#include <algorithm>
#include <cmath>

namespace pgtally::analyzer {

double FingerprintStat::stddev_ms() const {
  return calls > 0 ? std::sqrt(m2 / static_cast<double>(calls)) : 0.0;
}

void FingerprintStat::record(std::chrono::nanoseconds took, std::uint64_t r,
                             const std::string* sqlstate) {
  const double ms = std::max(0.0, static_cast<double>(took.count()) / 1e6);
  ++calls;
  rows += r;
  total_ms += ms;
  if (calls == 1) {
    min_ms = ms;
    max_ms = ms;
  } else {
    min_ms = std::min(min_ms, ms);
    max_ms = std::max(max_ms, ms);
  }
  const double delta = ms - mean_ms;
  mean_ms += delta / static_cast<double>(calls);
  m2 += delta * (ms - mean_ms);
  const double seconds = ms / 1000.0;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
      kLatencyBuckets.begin());
  ++buckets[bucket];
  if (sqlstate != nullptr && !sqlstate->empty()) {
    auto it = errors.find(*sqlstate);
    if (it != errors.end()) {
      ++it->second;
    } else if (errors.size() < kMaxSqlstates) {
      errors.emplace(*sqlstate, 1);
    } else {
      ++errors["other"];
    }
  }
}

FingerprintStats::FingerprintStats(std::size_t top_k) : top_k_(top_k) {
  other_.normalized = "other";
}

void FingerprintStats::record(const FingerprintInfo& info, std::chrono::nanoseconds took,
                              std::uint64_t rows, const std::string* sqlstate) {
  auto it = stats_.find(info.fingerprint);
  if (it == stats_.end()) {
    if (stats_.size() >= top_k_) {
      other_.record(took, rows, sqlstate);
      return;
    }
    FingerprintStat s;
    s.fingerprint = info.fingerprint;
    s.normalized = info.normalized;
    s.kind = info.kind;
    it = stats_.emplace(info.fingerprint, std::move(s)).first;
  }
  it->second.record(took, rows, sqlstate);
}

std::vector<FingerprintStat> FingerprintStats::snapshot() const {
  std::vector<FingerprintStat> out;
  out.reserve(stats_.size() + 1);
  for (const auto& [fp, s] : stats_)
    out.push_back(s);
  std::sort(out.begin(), out.end(), [](const FingerprintStat& a, const FingerprintStat& b) {
    return a.total_ms != b.total_ms ? a.total_ms > b.total_ms : a.fingerprint < b.fingerprint;
  });
  if (other_.calls > 0) out.push_back(other_);
  return out;
}

const FingerprintStat* FingerprintStats::find(Fingerprint fp) const {
  auto it = stats_.find(fp);
  return it == stats_.end() ? nullptr : &it->second;
}

}  // namespace pgtally::analyzer
