// The command line and the config file: defaults, the file, flags over the file, and errors
// that name what to fix.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/cli.hpp"
#include "proxy/config.hpp"
#include "proxy/fd_limit.hpp"

namespace pgtally {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    path_ = std::filesystem::temp_directory_path() /
            ("pgtally-config-" + std::to_string(::getpid()) + "-" + name + ".ini");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::filesystem::path path_;
};

Command parse(std::vector<std::string> args) {
  args.insert(args.begin(), "pgtally");
  return parse_command_line(args);
}

TEST_F(ConfigFile, ReadsEverySetting) {
  write(
      "; like pgbouncer.ini\n[pgtally]\nlisten = 127.0.0.1:7000, [::1]:7001\n"
      "unix_socket_dir = /run/pgtally\nunix_socket_port = 7002\nupstream = db:5433\n"
      "threads = 4\nbusy_poll_us = 40\nmax_client_conn = 50\nstartup_timeout = 3\nconnect_timeout "
      "= 2\n"
      "shutdown_timeout = 9\nmax_message_bytes = 2048\nserver_tls = require\n"
      "log_level = debug\nanalysis = off\nvalue_sampling = off\n");
  const auto loaded = load_config_file(path_);
  ASSERT_TRUE(std::holds_alternative<Config>(loaded)) << std::get<ConfigError>(loaded).message;
  const auto& c = std::get<Config>(loaded);
  EXPECT_EQ(c.listen, (std::vector<std::string>{"127.0.0.1:7000", "[::1]:7001"}));
  EXPECT_EQ(c.unix_socket_dir, "/run/pgtally");
  EXPECT_EQ(c.unix_socket_port, 7002);
  EXPECT_EQ(c.upstream, "db:5433");
  EXPECT_EQ(c.threads, 4U);
  EXPECT_EQ(c.busy_poll, std::chrono::microseconds(40));
  EXPECT_EQ(c.max_client_conn, 50U);
  EXPECT_EQ(c.startup_timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.connect_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.shutdown_timeout, std::chrono::seconds(9));
  EXPECT_EQ(c.max_message_bytes, 2048U);
  EXPECT_EQ(c.server_tls, ServerTls::require);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_FALSE(c.analysis);
  EXPECT_FALSE(c.value_sampling);
}

struct BadFile {
  const char* name;
  const char* text;
  const char* says;
};

class ConfigFileRejects : public ConfigFile, public ::testing::WithParamInterface<BadFile> {};

TEST_P(ConfigFileRejects, WithAMessageNamingTheProblem) {
  write(GetParam().text);
  const auto loaded = load_config_file(path_);
  ASSERT_TRUE(std::holds_alternative<ConfigError>(loaded));
  EXPECT_NE(std::get<ConfigError>(loaded).message.find(GetParam().says), std::string::npos)
      << std::get<ConfigError>(loaded).message;
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigFileRejects,
    ::testing::Values(BadFile{"UnknownKey", "[pgtally]\nlisten_adress = x\n", "listen_adress"},
                      BadFile{"UnknownSection", "[pgbouncer]\nlisten = x\n", "[pgbouncer]"},
                      BadFile{"NotANumber", "[pgtally]\nthreads = many\n", "threads"},
                      BadFile{"BusyPollTooLong", "[pgtally]\nbusy_poll_us = 5000\n",
                              "busy_poll_us = '5000': expected 0 to 1000"},
                      BadFile{"BadTlsMode", "[pgtally]\nserver_tls = maybe\n", "server_tls"},
                      BadFile{"Syntax", "[pgtally\nthreads = 1\n", "line 1"}),
    [](const ::testing::TestParamInfo<BadFile>& param_info) {
      return std::string(param_info.param.name);
    });

TEST_F(ConfigFile, FlagsOverrideTheFile) {
  write("[pgtally]\nupstream = filehost:1\nmax_client_conn = 10\nthreads = 3\n");
  const auto command =
      parse({"--config", path_.string(), "--max-client-conn", "20", "--busy-poll-us", "25"});
  ASSERT_TRUE(std::holds_alternative<RunProxy>(command));
  const auto& c = std::get<RunProxy>(command).config;
  EXPECT_EQ(c.upstream, "filehost:1");
  EXPECT_EQ(c.max_client_conn, 20U);
  EXPECT_EQ(c.threads, 3U);
  EXPECT_EQ(c.busy_poll, std::chrono::microseconds(25));
  EXPECT_EQ(c.config_file, path_);
}

TEST(CommandLine, HelpExplainsEveryOption) {
  const auto command = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<Exit>(command));
  const auto& help = std::get<Exit>(command);
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option :
       {"--config",          "--listen",           "--unix-socket-dir",  "--unix-socket-port",
        "--upstream",        "--threads",          "--busy-poll-us",     "--max-client-conn",
        "--startup-timeout", "--connect-timeout",  "--shutdown-timeout", "--max-message-bytes",
        "--client-tls-cert", "--client-tls-key",   "--server-tls",       "--server-tls-ca",
        "--log-file",        "--log-level",        "--version",          "demo",
        "--no-analysis",     "--no-value-sampling"}) {
    EXPECT_NE(help.text.find(option), std::string::npos) << option;
  }
}

TEST(CommandLine, VersionPrintsTheVersion) {
  const auto command = parse({"--version"});
  ASSERT_TRUE(std::holds_alternative<Exit>(command));
  EXPECT_EQ(std::get<Exit>(command).text.rfind("pgtally ", 0), 0U);
}

struct BadArgs {
  const char* name;
  std::vector<std::string> args;
  const char* says;
};

class CommandLineRejects : public ::testing::TestWithParam<BadArgs> {};

TEST_P(CommandLineRejects, WithExitCode2AndAMessage) {
  const auto command = parse(GetParam().args);
  ASSERT_TRUE(std::holds_alternative<Exit>(command));
  EXPECT_EQ(std::get<Exit>(command).exit_code, 2);
  EXPECT_NE(std::get<Exit>(command).text.find(GetParam().says), std::string::npos)
      << std::get<Exit>(command).text;
}

INSTANTIATE_TEST_SUITE_P(
    CommandLine, CommandLineRejects,
    ::testing::Values(BadArgs{"UnknownOption", {"--listne", "x"}, "--listne"},
                      BadArgs{"BadListen", {"--listen", "nowhere"}, "nowhere"},
                      BadArgs{"BadUpstream", {"--upstream", "db"}, "upstream"},
                      BadArgs{"ZeroThreads", {"--threads", "0"}, "threads"},
                      BadArgs{"BusyPollTooLong", {"--busy-poll-us", "1001"}, "busy_poll_us"},
                      BadArgs{"TlsCertWithoutKey", {"--client-tls-cert", "a.pem"}, "key"},
                      BadArgs{"BadTlsMode", {"--server-tls", "maybe"}, "server-tls"},
                      BadArgs{"MissingConfigFile", {"--config", "/nonexistent.ini"}, "config"}),
    [](const ::testing::TestParamInfo<BadArgs>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(CommandLine, DemoSubcommand) {
  const auto command = parse({"demo", "--once"});
  ASSERT_TRUE(std::holds_alternative<RunDemo>(command));
  EXPECT_TRUE(std::get<RunDemo>(command).once);
}

TEST(FileLimit, ClientLimitThatDoesNotFitNamesBothNumbers) {
  const auto error = check_client_capacity(1000, FileLimit{1024, 4096});
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("max_client_conn = 1000"), std::string::npos) << *error;
  EXPECT_NE(error->find("2064"), std::string::npos) << *error;
  EXPECT_NE(error->find("1024"), std::string::npos) << *error;
  EXPECT_NE(error->find("at most 480"), std::string::npos) << *error;
  EXPECT_FALSE(check_client_capacity(480, FileLimit{1024, 4096}).has_value());
}

TEST(HostPort, ParsesV4V6AndSocketDirectories) {
  EXPECT_EQ(parse_host_port("127.0.0.1:6432")->port, 6432);
  EXPECT_EQ(parse_host_port("[::1]:5")->host, "::1");
  EXPECT_EQ(parse_host_port("/var/run/postgresql:5432")->host, "/var/run/postgresql");
  EXPECT_FALSE(parse_host_port("localhost").has_value());
  EXPECT_FALSE(parse_host_port("host:99999").has_value());
  EXPECT_FALSE(parse_host_port(":5432").has_value());
}

}  // namespace
}  // namespace pgtally
