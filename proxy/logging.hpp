// pgtally's log: spdlog, key=value lines, to stderr or a file that SIGHUP reopens.
// Never given passwords, query text or parameter values.
#pragma once

#include <string>

namespace pgtally {

// Installs the default logger; throws std::runtime_error when the file cannot be opened or
// the level is unknown.
void setup_logging(const std::string& log_file, const std::string& level);

// The findings log: one JSON document per line and nothing else, to "stdout", a file (opened
// for appending, so SIGHUP after rotation reopens it) or "off". Throws std::runtime_error when
// the file cannot be opened.
void setup_findings_log(const std::string& destination);
// Writes one line to the findings log (nothing when it is off). Any thread.
void log_finding(const std::string& json_line);

}  // namespace pgtally
