// Runs helper programs (initdb, psql, client scripts) for tests and the demo.
// Blocking, with a deadline: a child that outlives it is killed and reported as timed out.
#pragma once

#include <chrono>
#include <optional>
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

// A program left running while the test works with it (a pgtally under test). Its output goes
// to a file; the destructor kills it if it is still running.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const ProcessOptions& options = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  BackgroundProcess(BackgroundProcess&&) = delete;
  BackgroundProcess& operator=(BackgroundProcess&&) = delete;

  void signal(int number) const;
  // The exit code once it exits within `deadline` (-1 for a signal), else nullopt.
  std::optional<int> wait(std::chrono::milliseconds deadline);
  [[nodiscard]] std::string output() const;
  [[nodiscard]] int pid() const { return pid_; }

 private:
  int pid_ = -1;
  std::optional<int> exit_code_;
  std::string output_path_;
};

}  // namespace pgtally::testing
