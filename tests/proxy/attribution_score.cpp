#include "tests/proxy/attribution_score.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pgtally::testing {
namespace {

double median(std::vector<std::uint64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? static_cast<double>(v[mid])
                           : (static_cast<double>(v[mid - 1]) + static_cast<double>(v[mid])) / 2;
}

}  // namespace

AttributionScore score_units(const std::vector<analyzer::RequestSummary>& units,
                             const std::vector<std::string>& excluded) {
  AttributionScore score;
  std::map<std::string, std::uint64_t> request_size;  // statements per true request
  std::map<std::string, std::string> request_route;
  for (const auto& u : units) {
    for (const auto& t : u.true_requests) {
      request_size[t.id] += t.statements;
      request_route[t.id] = t.route;
    }
  }
  auto is_excluded = [&](const std::string& route) {
    return std::find(excluded.begin(), excluded.end(), route) != excluded.end();
  };
  std::map<std::string, std::vector<std::uint64_t>> unit_sizes;
  std::map<std::string, std::pair<double, double>> route_sums;  // precision, recall
  std::map<std::string, std::uint64_t> route_statements;
  double precision = 0;
  double recall = 0;
  for (const auto& u : units) {
    std::uint64_t with_truth = 0;
    std::map<std::string, std::uint64_t> by_route;
    for (const auto& t : u.true_requests) {
      with_truth += t.statements;
      by_route[t.route] += t.statements;
    }
    if (with_truth == 0) continue;
    ++score.units;
    const auto majority =
        std::max_element(by_route.begin(), by_route.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    RouteScore& rs = score.routes[majority->first];
    ++rs.units;
    unit_sizes[majority->first].push_back(with_truth);
    for (const auto& f : u.findings)
      ++rs.findings[f.kind];
    for (const auto& t : u.true_requests) {
      const double c = static_cast<double>(t.statements);
      const double p = c * c / static_cast<double>(with_truth);
      const double r = c * c / static_cast<double>(request_size[t.id]);
      route_sums[t.route].first += p;
      route_sums[t.route].second += r;
      route_statements[t.route] += t.statements;
      if (is_excluded(t.route)) continue;
      precision += p;
      recall += r;
      score.statements += t.statements;
    }
  }
  std::map<std::string, std::vector<std::uint64_t>> true_sizes;
  for (const auto& [id, size] : request_size)
    true_sizes[request_route[id]].push_back(size);
  for (auto& [route, rs] : score.routes) {
    rs.unit_median = median(unit_sizes[route]);
  }
  for (const auto& [route, sizes] : true_sizes) {
    RouteScore& rs = score.routes[route];
    rs.true_requests = sizes.size();
    rs.true_median = median(sizes);
    const double n = static_cast<double>(route_statements[route]);
    if (n > 0) {
      rs.precision = route_sums[route].first / n;
      rs.recall = route_sums[route].second / n;
    }
  }
  if (score.statements > 0) {
    score.precision = precision / static_cast<double>(score.statements);
    score.recall = recall / static_cast<double>(score.statements);
  }
  return score;
}

std::string describe(const AttributionScore& score) {
  std::string out =
      fmt::format("B-cubed precision {:.3f} recall {:.3f} over {} statements, {} units\n",
                  score.precision, score.recall, score.statements, score.units);
  for (const auto& [route, rs] : score.routes) {
    std::string findings;
    for (const auto& [kind, n] : rs.findings)
      findings += fmt::format(" {}={}", analyzer::to_string(kind), n);
    out += fmt::format(
        "  {:<16} requests {:>4} median {:>5.1f} | units {:>4} median {:>5.1f} | P {:.3f} R "
        "{:.3f} |{}\n",
        route, rs.true_requests, rs.true_median, rs.units, rs.unit_median, rs.precision, rs.recall,
        findings);
  }
  return out;
}

}  // namespace pgtally::testing
