// The command line of the `pgtally` executable: every proxy option (which override the config
// file) and the subcommands. main() calls it; tests call it to check option handling.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proxy/config.hpp"

namespace pgtally {

struct RunProxy {
  Config config;
};
// `pgtally demo`: the storefront sample through pgtally, then its findings.
struct RunDemo {
  Config config;
  bool once = false;
  std::uint64_t requests = 150;  // the sample load's requests
  unsigned concurrency = 6;      // and its connections (the sample's pool holds 3)
  std::string sample_dir;        // where the sample's programs are; empty: beside pgtally
};
// `pgtally expect`: wait for a request to end, then check its query count and findings.
struct RunExpect {
  std::string http = "127.0.0.1:9932";
  std::string request_id;
  std::optional<std::uint64_t> max_queries;
  bool no_n_plus_one = false;
  std::chrono::seconds timeout{30};
  std::string token_file;  // else PGTALLY_HTTP_TOKEN
};
// --help, --version, a printed reference, or a usage error: print `text`, exit with `exit_code`.
struct Exit {
  int exit_code = 0;
  std::string text;
};

using Command = std::variant<RunProxy, RunDemo, RunExpect, Exit>;

Command parse_command_line(const std::vector<std::string>& args);

}  // namespace pgtally
