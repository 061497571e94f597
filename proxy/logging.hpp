// pgtally's log: spdlog, key=value lines, to stderr or a file that SIGHUP reopens.
// Never given passwords, query text or parameter values.
#pragma once

#include <string>

namespace pgtally {

// Installs the default logger; throws std::runtime_error when the file cannot be opened or
// the level is unknown.
void setup_logging(const std::string& log_file, const std::string& level);

}  // namespace pgtally
