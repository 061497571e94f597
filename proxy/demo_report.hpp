// What `pgtally demo` prints once the sample load has run: queries per request by route, every
// N+1 with its route, parent query and fix, every pool finding with its evidence and fix, and
// anything else found. Pure formatting over the analyzer's snapshots, so it is unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analyzer/finding.hpp"
#include "analyzer/snapshots.hpp"

namespace pgtally {

// `requests`: the sample's requests (the caller filters them by request id); `findings`: every
// finding group the analyzer holds.
[[nodiscard]] std::string format_demo_report(const std::vector<analyzer::RequestSummary>& requests,
                                             const std::vector<analyzer::FindingGroup>& findings);

// Wraps `text` at `width` columns; lines after the first start with `indent`.
[[nodiscard]] std::string wrap_text(std::string_view text, std::size_t width,
                                    std::string_view indent);

}  // namespace pgtally
