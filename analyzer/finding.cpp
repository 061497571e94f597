#include "analyzer/finding.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

// FNV-1a 64: fixed, so ids survive restarts (unlike the keyed value hashes).
std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr std::size_t kExamples = 5;

}  // namespace

const char* to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::n_plus_one:
      return "n_plus_one";
    case FindingKind::repeated_query:
      return "repeated_query";
    case FindingKind::repeated_point_lookups:
      return "repeated_point_lookups";
    case FindingKind::bulk_write_loop:
      return "bulk_write_loop";
    case FindingKind::pool_saturation:
      return "pool_saturation";
    case FindingKind::idle_in_transaction:
      return "idle_in_transaction";
    case FindingKind::connection_churn:
      return "connection_churn";
    case FindingKind::nested_connection:
      return "nested_connection";
    case FindingKind::server_refusal:
      return "server_refusal";
  }
  return "unknown";
}

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::low:
      return "low";
    case Severity::medium:
      return "medium";
    case Severity::high:
      return "high";
  }
  return "unknown";
}

const char* to_string(UnitBasis basis) {
  switch (basis) {
    case UnitBasis::tagged:
      return "tagged";
    case UnitBasis::transaction:
      return "transaction";
    case UnitBasis::causal:
      return "causal";
    case UnitBasis::statement:
      return "statement";
    case UnitBasis::burst:
      return "burst";
  }
  return "statement";
}

const char* to_string(Attribution attribution) {
  return attribution == Attribution::tagged ? "tagged" : "inferred";
}

std::string group_label(const ClientGroup& g) {
  return fmt::format("{}@{}/{}@{}", g.user, g.database, g.application_name, g.client_address);
}

std::string finding_id(const Finding& f) {
  std::uint64_t h = fnv1a(to_string(f.kind));
  h = fnv1a(std::string_view("\x1f", 1), h);
  if (is_pool_kind(f.kind)) {
    h = fnv1a(f.group, h);
  } else {
    h = fnv1a(fingerprint_hex(f.fingerprint), h);
    h = fnv1a(std::string_view("\x1f", 1), h);
    h = fnv1a(f.route, h);
  }
  return fmt::format("{:016x}", h);
}

const FindingGroup& FindingStore::add(Finding finding) {
  std::string id = finding_id(finding);
  auto it = groups_.find(id);
  if (it == groups_.end()) {
    if (groups_.size() >= max_groups_) {
      // Full: the group seen longest ago makes room, and is counted.
      ++dropped_;
      auto oldest = std::min_element(
          groups_.begin(), groups_.end(),
          [](const auto& a, const auto& b) { return a.second.last_seen < b.second.last_seen; });
      groups_.erase(oldest);
    }
    FindingGroup g;
    g.id = id;
    g.first_seen = finding.at;
    g.severity = finding.severity;
    it = groups_.emplace(std::move(id), std::move(g)).first;
  }
  FindingGroup& g = it->second;
  ++g.occurrences;
  g.first_seen = std::min(g.first_seen, finding.at);
  g.last_seen = std::max(g.last_seen, finding.at);
  g.severity = std::max(g.severity, finding.severity);
  if (!finding.request_id.empty() && std::find(g.example_requests.begin(), g.example_requests.end(),
                                               finding.request_id) == g.example_requests.end()) {
    if (g.example_requests.size() >= kExamples)
      g.example_requests.erase(g.example_requests.begin());
    g.example_requests.push_back(finding.request_id);
  }
  g.latest = std::move(finding);
  return g;
}

std::vector<FindingGroup> FindingStore::snapshot() const {
  std::vector<FindingGroup> out;
  out.reserve(groups_.size());
  for (const auto& [id, g] : groups_)
    out.push_back(g);
  std::sort(out.begin(), out.end(), [](const FindingGroup& a, const FindingGroup& b) {
    return a.last_seen != b.last_seen ? a.last_seen > b.last_seen : a.id < b.id;
  });
  return out;
}

const FindingGroup* FindingStore::find(const std::string& id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

std::int64_t ClockAnchor::unix_ms(TimePoint t) const {
  const auto wall_at =
      wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - steady);
  return std::chrono::duration_cast<std::chrono::milliseconds>(wall_at.time_since_epoch()).count();
}

nlohmann::json to_json(const Finding& f, const ClockAnchor& clock) {
  auto ms = [](std::chrono::microseconds d) { return static_cast<double>(d.count()) / 1000.0; };
  nlohmann::json j = {
      {"kind", to_string(f.kind)},
      {"severity", to_string(f.severity)},
      {"attribution", to_string(f.attribution)},
      {"at_unix_ms", clock.unix_ms(f.at)},
      {"count", f.count},
      {"evidence", f.evidence},
      {"fix", f.fix},
  };
  if (is_pool_kind(f.kind)) {
    j["client_group"] = f.group;
  } else {
    j["fingerprint"] = fingerprint_hex(f.fingerprint);
    j["normalized_query"] = f.normalized;
    j["total_time_ms"] = ms(f.total_time);
    j["round_trips_saved"] = f.round_trips_saved;
    j["time_saved_ms"] = ms(f.time_saved);
  }
  if (!f.route.empty()) j["route"] = f.route;
  if (!f.source.empty()) j["source"] = f.source;
  if (!f.request_id.empty()) j["request_id"] = f.request_id;
  if (f.parent != 0) {
    j["parent"] = {{"fingerprint", fingerprint_hex(f.parent)},
                   {"normalized_query", f.parent_normalized}};
  }
  return j;
}

nlohmann::json to_json(const FindingGroup& g, const ClockAnchor& clock) {
  nlohmann::json j = to_json(g.latest, clock);
  j["id"] = g.id;
  j["severity"] = to_string(g.severity);
  j["occurrences"] = g.occurrences;
  j["first_seen_unix_ms"] = clock.unix_ms(g.first_seen);
  j["last_seen_unix_ms"] = clock.unix_ms(g.last_seen);
  j["example_request_ids"] = g.example_requests;
  return j;
}

}  // namespace pgtally::analyzer
