// The text /metrics serves: pgtally's own families (sessions, bytes, refusals, cancels) read
// from the Proxy, then the analyzer's, in the order of the metrics catalog.
#pragma once

#include <chrono>
#include <string>

#include "analyzer/analyzer.hpp"
#include "proxy/proxy.hpp"

namespace pgtally {

// `analyzer` null: analysis is off; its families appear without samples.
[[nodiscard]] std::string render_metrics(const Proxy& proxy, const analyzer::Analyzer* analyzer,
                                         std::chrono::system_clock::time_point started);

}  // namespace pgtally
