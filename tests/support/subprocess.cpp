#include "tests/support/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace pgtally::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void exec_child(const std::vector<std::string>& argv, const ProcessOptions& options,
                             int in_fd, int out_fd) {
  ::dup2(in_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);
  for (const auto& [key, value] : options.env)
    ::setenv(key.c_str(), value.c_str(), 1);
  if (!options.workdir.empty() && ::chdir(options.workdir.c_str()) != 0) ::_exit(126);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

}  // namespace

bool running_as_root() {
  return ::geteuid() == 0;
}

std::vector<std::string> as_user_prefix(const std::string& user) {
  if (!running_as_root()) return {};
  return {"runuser", "-u", user, "--"};
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty argv");
  std::array<int, 2> in_pipe{};
  std::array<int, 2> out_pipe{};
  if (::pipe2(in_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error(fmt::format("pipe failed: errno {}", errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork failed: errno {}", errno));
  if (pid == 0) exec_child(argv, options, in_pipe[0], out_pipe[1]);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);

  // Feed stdin fully first (inputs are small), then read output until EOF or the deadline.
  std::size_t written = 0;
  ::signal(SIGPIPE, SIG_IGN);
  while (written < options.stdin_text.size()) {
    const ssize_t n = ::write(in_pipe[1], options.stdin_text.data() + written,
                              options.stdin_text.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  ::close(in_pipe[1]);

  ProcessResult result;
  const auto deadline = Clock::now() + options.deadline;
  std::array<char, 8192> buf{};
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{out_pipe[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long>(left, 1000)));
    if (ready <= 0) continue;
    const ssize_t n = ::read(out_pipe[0], buf.data(), buf.size());
    if (n <= 0) break;
    result.output.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const ProcessOptions& options) {
  if (argv.empty()) throw std::invalid_argument("BackgroundProcess: empty argv");
  std::string templ = "/tmp/pgtally-process-XXXXXX";
  const int out_fd = ::mkstemp(templ.data());
  if (out_fd < 0) throw std::runtime_error("BackgroundProcess: mkstemp failed");
  output_path_ = templ;
  const int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("BackgroundProcess: fork failed");
  if (pid == 0) exec_child(argv, options, in_fd, out_fd);
  ::close(in_fd);
  ::close(out_fd);
  pid_ = pid;
}

BackgroundProcess::~BackgroundProcess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ::unlink(output_path_.c_str());
}

void BackgroundProcess::signal(int number) const {
  ::kill(pid_, number);
}

std::optional<int> BackgroundProcess::wait(std::chrono::milliseconds deadline) {
  if (exit_code_) return exit_code_;
  const auto until = Clock::now() + deadline;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      return exit_code_;
    }
    if (Clock::now() > until) return std::nullopt;
    ::usleep(10000);  // poll interval
  }
}

std::string BackgroundProcess::output() const {
  std::string out;
  const int fd = ::open(output_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace pgtally::testing
