#include "tests/support/temp_postgres.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/support/free_port.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kBinDir = "/usr/lib/postgresql/15/bin";
constexpr std::string_view kSuperuser = "postgres";

std::string bin(std::string_view name) {
  return fmt::format("{}/{}", kBinDir, name);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, std::string_view text, bool append = false) {
  std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

void give_to_postgres(const fs::path& path) {
  if (!running_as_root()) return;
  const passwd* pw = ::getpwnam(std::string(kSuperuser).c_str());
  if (pw == nullptr) throw std::runtime_error("no 'postgres' user: install postgresql-15");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error(fmt::format("chown {} failed", path.string()));
  }
}

void run_checked(const std::vector<std::string>& argv, std::string_view what) {
  const ProcessResult result = run_process(argv);
  if (result.exit_code != 0) {
    throw std::runtime_error(
        fmt::format("{} failed (exit {}): {}", what, result.exit_code, result.output));
  }
}

std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  std::vector<std::string> full = as_user_prefix(std::string(kSuperuser));
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

// Postmaster's own pid from the first line of postmaster.pid (the launcher may be runuser).
pid_t postmaster_pid(const fs::path& data) {
  std::ifstream in(data / "postmaster.pid");
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

}  // namespace

TempPostgres::TempPostgres(PostgresOptions options) : options_(std::move(options)) {
  std::string templ = (fs::temp_directory_path() / "pgtally-pg-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  data_ = dir_ / "data";
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  give_to_postgres(dir_);
  try {
    init_cluster();
    // A port can be taken between picking and binding: try a few.
    for (int attempt = 0;; ++attempt) {
      port_ = free_tcp_port();
      write_file(data_ / "postgresql.auto.conf", fmt::format("port = {}\n", port_));
      try {
        start();
        break;
      } catch (const std::exception&) {
        if (attempt == 4) throw;
      }
    }
    psql(fmt::format("SET password_encryption = 'md5';"
                     "CREATE ROLE {md5} LOGIN PASSWORD '{md5}';"
                     "SET password_encryption = 'scram-sha-256';"
                     "CREATE ROLE {scram} LOGIN PASSWORD '{scram}';"
                     "CREATE ROLE {trust} LOGIN SUPERUSER PASSWORD '{trust}';"
                     "CREATE DATABASE {db} OWNER {trust};"
                     "GRANT ALL ON DATABASE {db} TO {md5}, {scram};",
                     fmt::arg("md5", kMd5User), fmt::arg("scram", kScramUser),
                     fmt::arg("trust", kTrustUser), fmt::arg("db", kTestDatabase)),
         "postgres");
    psql(fmt::format("GRANT ALL ON SCHEMA public TO {}, {};", kMd5User, kScramUser));
  } catch (...) {
    stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw;
  }
}

TempPostgres::~TempPostgres() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

void TempPostgres::init_cluster() {
  run_checked(as_postgres({bin("initdb"), "-D", data_.string(), "-U", std::string(kSuperuser),
                           "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"}),
              "initdb");
  if (options_.tls) {
    cert_ = dir_ / "server.crt";
    const fs::path key = dir_ / "server.key";
    run_checked({"openssl", "req", "-new", "-x509", "-days", "30", "-nodes", "-subj",
                 "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                 "-newkey", "rsa:2048", "-keyout", key.string(), "-out", cert_.string()},
                "openssl req");
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
    give_to_postgres(key);
    give_to_postgres(cert_);
  }
  std::string conf = fmt::format(
      "listen_addresses = '127.0.0.1'\n"
      "unix_socket_directories = '{}'\n"
      "max_connections = {}\n"
      "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
      "shared_buffers = 64MB\n"
      "log_min_messages = warning\n",
      dir_.string(), options_.max_connections);
  if (options_.tls) {
    conf += fmt::format("ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n", cert_.string(),
                        (dir_ / "server.key").string());
  }
  conf += options_.extra_config;
  conf += "\n";
  write_file(data_ / "postgresql.conf", conf, true);
  write_file(data_ / "pg_hba.conf",
             fmt::format("local all all trust\n"
                         "host all {md5} 127.0.0.1/32 md5\n"
                         "host all {md5} ::1/128 md5\n"
                         "host all {scram} 127.0.0.1/32 scram-sha-256\n"
                         "host all {scram} ::1/128 scram-sha-256\n"
                         "host all all 127.0.0.1/32 trust\n"
                         "host all all ::1/128 trust\n",
                         fmt::arg("md5", kMd5User), fmt::arg("scram", kScramUser)));
}

void TempPostgres::start() {
  if (server_pid_ > 0) return;
  const fs::path log = dir_ / "server.log";
  const std::vector<std::string> argv = as_postgres({bin("postgres"), "-D", data_.string()});
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // If the test binary dies, the server goes too (runuser forwards the signal).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::setsid();
    std::vector<char*> args;
    for (const auto& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  server_pid_ = pid;
  try {
    wait_ready();
  } catch (...) {
    stop();
    throw;
  }
}

void TempPostgres::wait_ready() const {
  const std::string ping = fmt::format("host={} port={} dbname=postgres user={} connect_timeout=2",
                                       host(), port_, kSuperuser);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
      throw std::runtime_error(
          fmt::format("postgres exited during start-up: {}", read_file(dir_ / "server.log")));
    }
    if (PQping(ping.c_str()) == PQPING_OK) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, not a wait
  }
  throw std::runtime_error(
      fmt::format("postgres not ready within 60 s: {}", read_file(dir_ / "server.log")));
}

void TempPostgres::stop() {
  if (server_pid_ <= 0) return;
  const pid_t postmaster = postmaster_pid(data_);
  int status = 0;
  if (::waitpid(server_pid_, &status, WNOHANG) == 0) {
    ::kill(postmaster > 0 ? postmaster : server_pid_, SIGINT);  // fast shutdown
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (::waitpid(server_pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(postmaster > 0 ? postmaster : server_pid_, SIGQUIT);
        ::kill(server_pid_, SIGKILL);
        ::waitpid(server_pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  server_pid_ = -1;
}

std::string TempPostgres::conninfo(std::string_view user, std::string_view database) const {
  return fmt::format("host={} port={} user={} password={} dbname={}", host(), port_, user, user,
                     database);
}

std::string TempPostgres::psql(std::string_view sql, std::string_view database) const {
  // Through stdin, so that each statement runs in its own transaction (CREATE DATABASE).
  ProcessOptions options;
  options.stdin_text = std::string(sql);
  const ProcessResult result =
      run_process({bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", dir_.string(),
                   "-p", std::to_string(port_), "-U", std::string(kSuperuser), "-d",
                   std::string(database), "-f", "-"},
                  options);
  if (result.exit_code != 0) {
    throw std::runtime_error(
        fmt::format("psql failed (exit {}): {}", result.exit_code, result.output));
  }
  return result.output;
}

}  // namespace pgtally::testing
