// The command line of the `pgtally` executable: every proxy option (which override the config
// file) and the subcommands. main() calls it; tests call it to check option handling.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "proxy/config.hpp"

namespace pgtally {

struct RunProxy {
  Config config;
};
struct RunDemo {
  Config config;
  bool once = false;
};
// --help, --version, or a usage error: print `text`, exit with `exit_code`.
struct Exit {
  int exit_code = 0;
  std::string text;
};

using Command = std::variant<RunProxy, RunDemo, Exit>;

Command parse_command_line(const std::vector<std::string>& args);

}  // namespace pgtally
