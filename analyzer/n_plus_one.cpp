#include "analyzer/n_plus_one.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

using std::chrono::microseconds;

microseconds took(const Execution& e) {
  return e.end < e.start ? microseconds{0}
                         : std::chrono::duration_cast<microseconds>(e.end - e.start);
}

double ms(microseconds d) {
  return static_cast<double>(d.count()) / 1000.0;
}

std::string normalized_of(const FingerprintUse& use) {
  return use.info ? use.info->normalized : std::string{};
}

std::string key_column_of(const FingerprintUse& use) {
  if (use.info && !use.info->key_column.empty()) return use.info->key_column;
  return "id";
}

Finding base_finding(const RequestLedger& ledger, const FingerprintUse& use, FindingKind kind) {
  Finding f;
  f.kind = kind;
  f.fingerprint = use.fingerprint;
  f.normalized = normalized_of(use);
  f.route = ledger.route();
  f.source = ledger.tags.source;
  f.attribution = ledger.attribution;
  f.request_id = ledger.id;
  f.at = ledger.last_end;
  return f;
}

Severity severity_for(std::uint64_t count, std::uint32_t threshold, const QueryPatternConfig& c) {
  return count >= std::uint64_t{threshold} * c.high_severity_factor ? Severity::high
                                                                    : Severity::medium;
}

// Savings when `executions` queries become one.
void set_savings(Finding& f, const std::vector<const Execution*>& executions) {
  microseconds total{0};
  for (const Execution* e : executions)
    total += took(*e);
  f.count = executions.size();
  f.total_time = total;
  f.round_trips_saved = executions.empty() ? 0 : executions.size() - 1;
  f.time_saved = executions.empty() ? microseconds{0}
                                    : total - total / static_cast<std::int64_t>(executions.size());
}

bool overlapping(const std::vector<const Execution*>& executions) {
  std::vector<std::pair<TimePoint, TimePoint>> spans;
  spans.reserve(executions.size());
  for (const Execution* e : executions)
    spans.emplace_back(e->start, e->end);
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first < spans[i - 1].second) return true;
  }
  return false;
}

void detect_lookups(const RequestLedger& ledger, const FingerprintUse& use,
                    const QueryPatternConfig& c, std::vector<Finding>& out, bool& reported) {
  std::vector<const Execution*> lookups;
  std::set<std::uint64_t> keys;
  std::set<ConnectionId> connections;
  std::map<Fingerprint, std::uint64_t> parents;
  std::uint64_t from_self = 0;
  for (const Execution& e : use.executions) {
    if (e.key_count != 1) continue;
    if (e.key_from_self) {  // keyset paging: the key came from the previous page
      ++from_self;
      continue;
    }
    lookups.push_back(&e);
    keys.insert(e.key_hash);
    connections.insert(e.connection);
    if (e.parent != 0) ++parents[e.parent];
  }
  if (lookups.size() < c.n_plus_one_threshold || keys.size() < 2) return;
  Fingerprint parent = 0;
  std::uint64_t linked = 0;
  for (const auto& [fp, n] : parents) {
    if (n > linked) {
      parent = fp;
      linked = n;
    }
  }
  const bool is_n_plus_one =
      ledger.attribution == Attribution::tagged || linked >= c.n_plus_one_threshold;
  Finding f = base_finding(
      ledger, use, is_n_plus_one ? FindingKind::n_plus_one : FindingKind::repeated_point_lookups);
  set_savings(f, lookups);
  f.severity =
      is_n_plus_one ? severity_for(lookups.size(), c.n_plus_one_threshold, c) : Severity::low;
  const FingerprintUse* parent_use = parent != 0 ? ledger.use(parent) : nullptr;
  if (is_n_plus_one && parent != 0) {
    f.parent = parent;
    if (parent_use != nullptr) f.parent_normalized = normalized_of(*parent_use);
  }
  f.evidence = {
      {"lookups", lookups.size()},         {"distinct_keys", keys.size()},
      {"connections", connections.size()}, {"concurrent", overlapping(lookups)},
      {"keys_linked_to_parent", linked},   {"largest_batch", use.largest_batch},
      {"request_queries", ledger.queries},
  };
  const std::string column = key_column_of(use);
  if (is_n_plus_one) {
    const std::string from =
        f.parent != 0 ? fmt::format(" returned by `{}`", f.parent_normalized) : std::string{};
    f.fix = fmt::format(
        "Load the {} rows in one query: collect the keys{} and query once with `WHERE {} = "
        "ANY($1)`, or eager-load the association (JOIN / include). Saves {} round trips "
        "(~{:.1f} ms).",
        lookups.size(), from, column, f.round_trips_saved, ms(f.time_saved));
  } else {
    f.fix = fmt::format(
        "{} point lookups with different keys and no earlier query returning those keys: if they "
        "serve one unit of work, fetch them with one `WHERE {} = ANY($1)`; if they are independent "
        "clients (a load generator, a queue worker), nothing to do.",
        lookups.size(), column);
  }
  out.push_back(std::move(f));
  reported = true;
}

void detect_repeats(const RequestLedger& ledger, const FingerprintUse& use,
                    const QueryPatternConfig& c, std::vector<Finding>& out) {
  // `SELECT 1` before each checkout is the pool validating connections, not the application
  // re-reading data: its fix is pool configuration, and it is not a query pattern.
  if (use.info && !use.info->has_from) return;
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::vector<const Execution*>> same;
  for (const Execution& e : use.executions) {
    if (!e.error) same[{e.values_hash, e.write_epoch}].push_back(&e);
  }
  const std::vector<const Execution*>* worst = nullptr;
  for (const auto& [key, list] : same) {
    if (worst == nullptr || list.size() > worst->size()) worst = &list;
  }
  if (worst == nullptr || worst->size() < c.repeated_query_threshold) return;
  Finding f = base_finding(ledger, use, FindingKind::repeated_query);
  set_savings(f, *worst);
  f.severity = severity_for(worst->size(), c.repeated_query_threshold, c) == Severity::high
                   ? Severity::medium
                   : Severity::low;
  f.evidence = {{"identical_executions", worst->size()},
                {"executions", use.calls},
                {"request_queries", ledger.queries}};
  f.fix = fmt::format(
      "The same query with the same parameters ran {} times with no write in between: run it "
      "once per request and reuse the result (memoize in the request scope). Saves {} round "
      "trips (~{:.1f} ms).",
      worst->size(), f.round_trips_saved, ms(f.time_saved));
  out.push_back(std::move(f));
}

void detect_bulk_writes(const RequestLedger& ledger, const FingerprintUse& use,
                        const QueryPatternConfig& c, std::vector<Finding>& out) {
  std::vector<const Execution*> single;
  for (const Execution& e : use.executions) {
    if (e.key_count <= 1) single.push_back(&e);
  }
  if (single.size() < c.bulk_write_threshold) return;
  Finding f = base_finding(ledger, use, FindingKind::bulk_write_loop);
  set_savings(f, single);
  f.severity = severity_for(single.size(), c.bulk_write_threshold, c) == Severity::high
                   ? Severity::medium
                   : Severity::low;
  f.evidence = {{"single_row_writes", single.size()},
                {"statement", to_string(use.kind)},
                {"request_queries", ledger.queries}};
  const char* how = use.kind == StatementKind::insert
                        ? "one multi-row `INSERT ... VALUES (...), (...)`, `INSERT ... SELECT * "
                          "FROM unnest($1, $2)` or COPY"
                        : (use.kind == StatementKind::update
                               ? "one `UPDATE ... FROM unnest($1, $2) AS v(key, value) WHERE "
                                 "key = v.key`"
                               : "one `DELETE ... WHERE key = ANY($1)`");
  f.fix = fmt::format(
      "{} single-row writes in a loop: send them as {}. Saves {} round trips "
      "(~{:.1f} ms).",
      single.size(), how, f.round_trips_saved, ms(f.time_saved));
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Finding> detect_query_patterns(const RequestLedger& ledger,
                                           const QueryPatternConfig& config) {
  std::vector<Finding> out;
  // Repeats are judged only where one unit of work is certain: tags, a transaction or values
  // that link the statements; never a burst that may hold several requests.
  const bool trusted = ledger.attribution == Attribution::tagged ||
                       ledger.basis == UnitBasis::transaction || ledger.basis == UnitBasis::causal;
  for (const FingerprintUse& use : ledger.by_fingerprint) {
    if (use.kind == StatementKind::select) {
      if (!config.values_known || !trusted) continue;
      bool reported = false;
      detect_lookups(ledger, use, config, out, reported);
      if (!reported) detect_repeats(ledger, use, config, out);
    } else if (is_write(use.kind)) {
      detect_bulk_writes(ledger, use, config, out);
    }
  }
  return out;
}

}  // namespace pgtally::analyzer
