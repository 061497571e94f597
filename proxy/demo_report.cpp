#include "proxy/demo_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace pgtally {
namespace {

using analyzer::FindingGroup;
using analyzer::FindingKind;
using analyzer::RequestSummary;

constexpr std::size_t kWidth = 100;
constexpr std::string_view kDetailIndent = "              ";  // under "    query:  "

struct RouteStats {
  std::vector<std::uint64_t> queries;
  std::set<std::string> kinds;
};

std::uint64_t percentile(std::vector<std::uint64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank =
      static_cast<std::size_t>(std::lround(p * static_cast<double>(values.size() - 1)));
  return values[std::min(rank, values.size() - 1)];
}

std::string routes_table(const std::vector<RequestSummary>& requests,
                         const std::vector<FindingGroup>& findings) {
  std::map<std::string, RouteStats> routes;
  for (const auto& r : requests) {
    routes[r.route.empty() ? "-" : r.route].queries.push_back(r.queries);
  }
  for (const auto& g : findings) {
    const auto it = routes.find(g.latest.route);
    if (it != routes.end()) it->second.kinds.insert(analyzer::to_string(g.latest.kind));
  }
  std::string out = fmt::format("Queries per request, by route ({} requests):\n", requests.size());
  out += fmt::format("  {:<28} {:>8} {:>6} {:>6}  {}\n", "route", "requests", "p50", "max",
                     "findings");
  for (const auto& [route, stats] : routes) {
    out += fmt::format("  {:<28} {:>8} {:>6} {:>6}  {}\n", route, stats.queries.size(),
                       percentile(stats.queries, 0.5), percentile(stats.queries, 1.0),
                       stats.kinds.empty() ? "-" : fmt::format("{}", fmt::join(stats.kinds, ", ")));
  }
  return out;
}

std::string detail(std::string_view label, std::string_view text) {
  if (text.empty()) return {};
  return fmt::format("    {:<10}{}\n", fmt::format("{}:", label),
                     wrap_text(text, kWidth - kDetailIndent.size(), kDetailIndent));
}

std::string evidence_line(const nlohmann::json& evidence) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : evidence.items()) {
    parts.push_back(
        fmt::format("{}={}", key, value.is_string() ? value.get<std::string>() : value.dump()));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string examples(const FindingGroup& g) {
  if (g.example_requests.empty()) return {};
  return fmt::format("{}", fmt::join(g.example_requests, ", "));
}

std::string n_plus_one_section(const std::vector<const FindingGroup*>& groups) {
  std::string out = fmt::format("N+1 findings ({}):\n", groups.size());
  for (const auto* g : groups) {
    const auto& f = g->latest;
    out += fmt::format(
        "  [{}] route {}: {} executions of one query per request ({}, seen in {} "
        "request{})\n",
        analyzer::to_string(g->severity), f.route.empty() ? "-" : f.route, f.count,
        analyzer::to_string(f.attribution), g->occurrences, g->occurrences == 1 ? "" : "s");
    out += detail("query", f.normalized);
    out += detail("parent", f.parent_normalized.empty() ? "(none linked)" : f.parent_normalized);
    out += detail("fix", f.fix);
    out += detail("requests", examples(*g));
  }
  return out;
}

std::string pool_section(const std::vector<const FindingGroup*>& groups) {
  std::string out = fmt::format("Pool findings ({}):\n", groups.size());
  for (const auto* g : groups) {
    const auto& f = g->latest;
    out += fmt::format("  [{}] {} for {} ({} time{})\n", analyzer::to_string(g->severity),
                       analyzer::to_string(f.kind), f.group.empty() ? "-" : f.group, g->occurrences,
                       g->occurrences == 1 ? "" : "s");
    out += detail("evidence", evidence_line(f.evidence));
    out += detail("fix", f.fix);
    out += detail("requests", examples(*g));
  }
  return out;
}

std::string other_section(const std::vector<const FindingGroup*>& groups) {
  std::string out = fmt::format("Other findings ({}):\n", groups.size());
  for (const auto* g : groups) {
    const auto& f = g->latest;
    out +=
        fmt::format("  [{}] {} on route {} ({}), {} executions\n", analyzer::to_string(g->severity),
                    analyzer::to_string(f.kind), f.route.empty() ? "-" : f.route,
                    analyzer::to_string(f.attribution), f.count);
    out += detail("query", f.normalized);
    out += detail("fix", f.fix);
  }
  return out;
}

}  // namespace

std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent) {
  std::string out;
  std::size_t column = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto space = text.find(' ', start);
    const auto end = space == std::string_view::npos ? text.size() : space;
    const auto word = text.substr(start, end - start);
    if (column > 0 && column + 1 + word.size() > width) {
      out += '\n';
      out += indent;
      column = 0;
    } else if (column > 0) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    start = end + 1;
  }
  return out;
}

std::string format_demo_report(const std::vector<RequestSummary>& requests,
                               const std::vector<FindingGroup>& findings) {
  std::vector<const FindingGroup*> n_plus_one;
  std::vector<const FindingGroup*> pool;
  std::vector<const FindingGroup*> other;
  for (const auto& g : findings) {
    if (g.latest.kind == FindingKind::n_plus_one) {
      n_plus_one.push_back(&g);
    } else if (analyzer::is_pool_kind(g.latest.kind)) {
      pool.push_back(&g);
    } else {
      other.push_back(&g);
    }
  }
  const auto by_route = [](const FindingGroup* a, const FindingGroup* b) {
    return std::tie(a->latest.route, a->latest.normalized) <
           std::tie(b->latest.route, b->latest.normalized);
  };
  const auto by_kind = [](const FindingGroup* a, const FindingGroup* b) {
    return std::tie(a->latest.kind, a->latest.group) < std::tie(b->latest.kind, b->latest.group);
  };
  std::sort(n_plus_one.begin(), n_plus_one.end(), by_route);
  std::sort(pool.begin(), pool.end(), by_kind);
  std::sort(other.begin(), other.end(), by_route);
  std::string out = routes_table(requests, findings);
  out += '\n' + n_plus_one_section(n_plus_one);
  out += '\n' + pool_section(pool);
  if (!other.empty()) out += '\n' + other_section(other);
  return out;
}

}  // namespace pgtally
