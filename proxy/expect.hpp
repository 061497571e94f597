// `pgtally expect`: query-count assertions from any language. Waits (up to a deadline) until a
// tagged request has ended, then checks its query count and N+1 findings through the HTTP API
// and prints a report: the queries grouped by fingerprint and each finding with its fix.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "proxy/cli.hpp"

namespace pgtally {

// Exit codes of `pgtally expect`, stable for scripts.
enum class ExpectExit : int {
  passed = 0,
  failed = 1,
  usage = 2,
  unknown_request = 3,
  incomplete = 4,    // events of the request were dropped: its counts are lower bounds
  not_finished = 5,  // still running at the deadline
  unreachable = 6,   // pgtally's HTTP API could not be asked (address, token, HTTP error)
};

// Judges a finished request's JSON (/api/requests/{id}) and writes the report.
[[nodiscard]] ExpectExit judge_request(const nlohmann::json& request, const RunExpect& options,
                                       std::ostream& out);

// Polls the API, judges, reports; returns the process exit code.
int run_expect(const RunExpect& options, std::ostream& out);

}  // namespace pgtally
