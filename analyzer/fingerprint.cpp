#include "analyzer/fingerprint.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <pg_query.h>

namespace pgtally::analyzer {
namespace {

// Releases a libpg_query result on every path.
template <typename Result, void (*Free)(Result)>
class PgQueryResult {
 public:
  explicit PgQueryResult(Result r) : r_(r) {}
  ~PgQueryResult() { Free(r_); }
  PgQueryResult(const PgQueryResult&) = delete;
  PgQueryResult& operator=(const PgQueryResult&) = delete;
  PgQueryResult(PgQueryResult&&) = delete;
  PgQueryResult& operator=(PgQueryResult&&) = delete;
  const Result* operator->() const { return &r_; }

 private:
  Result r_;
};

using FingerprintResult = PgQueryResult<PgQueryFingerprintResult, pg_query_free_fingerprint_result>;
using NormalizeResult = PgQueryResult<PgQueryNormalizeResult, pg_query_free_normalize_result>;

// Unparseable text: a stable fingerprint from its shape, distinct from libpg_query's values.
Fingerprint fallback_fingerprint(const ScanResult& scan) {
  return (scan.shape * 0xff51afd7ed558ccdULL) ^ 0x8000000000000000ULL;
}

}  // namespace

std::string fingerprint_hex(Fingerprint fp) {
  return fmt::format("{:016x}", fp);
}

FingerprintInfo fingerprint_uncached(std::string_view text, const ScanResult& scan) {
  FingerprintInfo info;
  info.kind = scan.kind;
  info.has_from = scan.has_from;
  if (scan.key_column.length > 0 &&
      std::size_t{scan.key_column.offset} + scan.key_column.length <= text.size()) {
    info.key_column = std::string(text.substr(scan.key_column.offset, scan.key_column.length));
  }
  const std::string stripped = strip_comments(text, scan);
  if (scan.complete && stripped.find('\0') == std::string::npos) {
    const FingerprintResult fp(pg_query_fingerprint(stripped.c_str()));
    if (fp->error == nullptr) {
      info.fingerprint = fp->fingerprint;
      const NormalizeResult norm(pg_query_normalize(stripped.c_str()));
      if (norm->error == nullptr && norm->normalized_query != nullptr) {
        // libpg_query leaves some constants in place (ORDER BY 1, a few DDL options): redact
        // whatever literal survived so nothing but `$n` reaches a display.
        ScanResult again;
        const std::string_view normalized(norm->normalized_query);
        scan_sql(normalized, again);
        info.normalized = redact(normalized, again);
      } else {
        info.normalized = redact(text, scan);
      }
      return info;
    }
  }
  info.parsed = false;
  info.fingerprint = fallback_fingerprint(scan);
  info.normalized = redact(text, scan);
  return info;
}

Fingerprinter::Fingerprinter(std::size_t capacity)
    : generation_capacity_(std::max<std::size_t>(1, capacity / 2)) {}

const std::shared_ptr<const FingerprintInfo>& Fingerprinter::fingerprint(std::string_view text,
                                                                         const ScanResult& scan) {
  if (auto it = current_.find(scan.shape); it != current_.end()) {
    ++stats_.hits;
    return it->second;
  }
  if (auto it = previous_.find(scan.shape); it != previous_.end()) {
    ++stats_.hits;
    auto node = previous_.extract(it);
    if (current_.size() >= generation_capacity_) {
      stats_.evictions += previous_.size();
      previous_ = std::move(current_);
      current_ = Map{};
    }
    return current_.insert(std::move(node)).position->second;
  }
  ++stats_.misses;
  std::shared_ptr<const FingerprintInfo> info =
      std::make_shared<const FingerprintInfo>(fingerprint_uncached(text, scan));
  if (!info->parsed) ++stats_.parse_failures;
  if (current_.size() >= generation_capacity_) {
    stats_.evictions += previous_.size();
    previous_ = std::move(current_);
    current_ = Map{};
  }
  return current_.emplace(scan.shape, std::move(info)).first->second;
}

}  // namespace pgtally::analyzer
