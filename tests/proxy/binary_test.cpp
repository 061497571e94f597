// The pgtally executable as an operator runs it: SIGHUP re-reads the config and reopens the
// log, SIGTERM drains then closes, and a client limit the open-files limit cannot hold is
// refused at start.
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/proxy/proxy_fixture.hpp"
#include "tests/proxy/raw_client.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class Executable : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("pgtally-exe-{}", ::getpid());
    fs::create_directories(dir_);
    port_ = free_tcp_port();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write_config(unsigned max_client_conn, unsigned shutdown_timeout = 30) const {
    std::ofstream(dir_ / "pgtally.ini") << fmt::format(
        "[pgtally]\nlisten = 127.0.0.1:{}\nupstream = 127.0.0.1:{}\nmax_client_conn = {}\n"
        "shutdown_timeout = {}\nlog_file = {}\nlog_level = info\nhttp = 127.0.0.1:0\n",
        port_, postgres().port(), max_client_conn, shutdown_timeout,
        (dir_ / "pgtally.log").string());
  }

  std::unique_ptr<BackgroundProcess> start() const {
    auto process = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{PGTALLY_EXE, "--config", (dir_ / "pgtally.ini").string()});
    const bool up = eventually([&] {
      auto conn = connect(conninfo());
      return PQstatus(conn.get()) == CONNECTION_OK;
    });
    EXPECT_TRUE(up) << process->output();
    return process;
  }

  [[nodiscard]] std::string conninfo() const {
    return fmt::format("host=127.0.0.1 port={} user={} dbname={} sslmode=disable", port_,
                       kTrustUser, kTestDatabase);
  }

  fs::path dir_;
  std::uint16_t port_ = 0;
};

TEST_F(Executable, SighupRereadsTheConfigAndReopensTheLog) {
  write_config(5);
  auto pgtally = start();
  auto held = connect_ok(conninfo());
  write_config(1);
  fs::rename(dir_ / "pgtally.log", dir_ / "pgtally.log.1");  // as logrotate does
  pgtally->signal(SIGHUP);
  // The new limit applies to new clients: with one held, the next is refused.
  std::string refusal;
  EXPECT_TRUE(eventually([&] {
    auto conn = connect(conninfo());
    refusal = PQerrorMessage(conn.get());
    return PQstatus(conn.get()) != CONNECTION_OK;
  }));
  EXPECT_NE(refusal.find("max_client_conn is 1"), std::string::npos) << refusal;
  EXPECT_TRUE(eventually([&] { return fs::exists(dir_ / "pgtally.log"); }))
      << "the log file was not reopened";
  EXPECT_EQ(scalar(held.get(), "SELECT 'held'"), "held");
}

TEST_F(Executable, SigtermDrainsThenEndsSessionsWith57P01) {
  write_config(10, 1);
  auto pgtally = start();
  auto held = connect_ok(conninfo());
  pgtally->signal(SIGTERM);
  const auto exit_code = pgtally->wait(std::chrono::seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << "pgtally did not exit after SIGTERM";
  EXPECT_EQ(*exit_code, 0) << pgtally->output();
  Result r(PQexec(held.get(), "SELECT 1"), &PQclear);
  EXPECT_NE(PQresultStatus(r.get()), PGRES_TUPLES_OK);
  EXPECT_NE(std::string(PQerrorMessage(held.get())).find("shutting down"), std::string::npos)
      << PQerrorMessage(held.get());
  const std::string text = read_text(dir_ / "pgtally.log");
  EXPECT_NE(text.find("event=shutdown_done"), std::string::npos) << text;
}

TEST_F(Executable, ClientLimitBeyondTheOpenFilesLimitIsRefusedAtStart) {
  const auto result = run_process({PGTALLY_EXE, "--listen", fmt::format("127.0.0.1:{}", port_),
                                   "--max-client-conn", "500000000"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("max_client_conn = 500000000"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("open-files limit is"), std::string::npos) << result.output;
}

TEST_F(Executable, HttpOffLoopbackWithoutATokenIsRefusedAtStart) {
  const auto result = run_process(
      {PGTALLY_EXE, "--listen", fmt::format("127.0.0.1:{}", port_), "--http", "0.0.0.0:0"},
      {.env = {{"PGTALLY_HTTP_TOKEN", ""}},
       .stdin_text = {},
       .workdir = {},
       .deadline = std::chrono::seconds(30)});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("http_token_file"), std::string::npos) << result.output;
}

TEST_F(Executable, LogNeverCarriesPasswordsOrQueryText) {
  write_config(10);
  auto pgtally = start();
  {
    auto conn =
        connect_ok(fmt::format("host=127.0.0.1 port={} user={} password={} dbname={} "
                               "sslmode=disable",
                               port_, kScramUser, kScramUser, kTestDatabase));
    scalar(conn.get(), "SELECT 'secret-literal-4711'");
    auto refused =
        connect(fmt::format("host=127.0.0.1 port={} user={} password=hunter2-secret "
                            "dbname={} sslmode=disable",
                            port_, kScramUser, kTestDatabase));
  }
  pgtally->signal(SIGTERM);
  ASSERT_TRUE(pgtally->wait(std::chrono::seconds(60)).has_value());
  const std::string text = read_text(dir_ / "pgtally.log");
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find("secret-literal-4711"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find(std::string(kScramUser) + "="), std::string::npos);
}

}  // namespace
}  // namespace pgtally::testing
