// Scores pgtally's untagged units against the truth of the same run (--ignore-tags keeps each
// statement's request_id and route): B-cubed precision and recall of the partition, and per
// route the requests, their sizes and the findings raised on units of that route.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analyzer/finding.hpp"
#include "analyzer/snapshots.hpp"

namespace pgtally::testing {

struct RouteScore {
  std::size_t true_requests = 0;
  double true_median = 0;  // statements per true request
  std::size_t units = 0;   // units whose most statements come from this route
  double unit_median = 0;  // statements per such unit
  double precision = 0;    // B-cubed over this route's statements
  double recall = 0;
  std::map<analyzer::FindingKind, std::size_t> findings;  // on units of this route
};

struct AttributionScore {
  std::size_t statements = 0;  // with a truth, outside the excluded routes
  double precision = 0;
  double recall = 0;
  std::size_t units = 0;
  std::map<std::string, RouteScore> routes;
};

// `excluded`: routes whose statements the overall figures leave out (a parallel dashboard,
// whose expected output is one unit per statement).
[[nodiscard]] AttributionScore score_units(const std::vector<analyzer::RequestSummary>& units,
                                           const std::vector<std::string>& excluded = {});

[[nodiscard]] std::string describe(const AttributionScore& score);

}  // namespace pgtally::testing
