// Runs helper programs (initdb, psql, client scripts) for tests and the demo.
// Blocking, with a deadline: a child that outlives it is killed and reported as timed out.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace pgtally::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string output;  // stdout and stderr interleaved
};

struct ProcessOptions {
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::string stdin_text;
  std::string workdir;
  std::chrono::milliseconds deadline{std::chrono::seconds(120)};
};

// argv[0] is looked up in PATH.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The command prefix that drops root privileges to `user` (runuser), or nothing when not root.
std::vector<std::string> as_user_prefix(const std::string& user);

bool running_as_root();

}  // namespace pgtally::testing
