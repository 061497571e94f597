// The configurations shipped in deploy/ as pgtally itself reads them: the example INI (for the
// systemd unit), the Kubernetes sidecar's INI, the container image's default command and the
// unit's ExecStart. A key or flag pgtally does not know, or values that cannot work together,
// fail here instead of at someone's first start.
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proxy/cli.hpp"
#include "proxy/config.hpp"

namespace pgtally {
namespace {

const std::filesystem::path kSource = PGTALLY_SOURCE_DIR;

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The Config pgtally would run with, or a test failure with pgtally's own error message.
Config config_from(const std::vector<std::string>& args) {
  const Command command = parse_command_line(args);
  if (const auto* exit = std::get_if<Exit>(&command)) {
    ADD_FAILURE() << "pgtally refuses this command line (exit " << exit->exit_code
                  << "): " << exit->text;
    return {};
  }
  const auto* run = std::get_if<RunProxy>(&command);
  EXPECT_NE(run, nullptr) << "not a command that runs the proxy";
  return run != nullptr ? run->config : Config{};
}

TEST(DeployConfig, ExampleIniLoads) {
  const Config c = config_from({"pgtally", "--config", kSource / "deploy/pgtally.ini.example"});
  // The systemd unit creates /run/pgtally (RuntimeDirectory=pgtally) for this socket.
  EXPECT_EQ(c.unix_socket_dir, "/run/pgtally");
  EXPECT_TRUE(is_loopback_address(c.http)) << "the example keeps the HTTP listener on loopback";
  EXPECT_GT(c.server_max_connections, 0U);
  EXPECT_TRUE(c.analysis);
}

TEST(DeployConfig, KubernetesSidecarIniLoads) {
  const Config c = config_from({"pgtally", "--config", kSource / "deploy/k8s/pgtally.ini"});
  // Prometheus and the kubelet's probes reach the sidecar on the pod IP...
  EXPECT_FALSE(is_loopback_address(c.http));
  // ...so / and /api need the token mounted from the Secret (deploy/k8s/deployment.yaml).
  EXPECT_EQ(c.http_token_file, "/var/run/secrets/pgtally/token");
  // The application reaches pgtally inside the pod only.
  ASSERT_EQ(c.listen.size(), 1U);
  EXPECT_TRUE(is_loopback_address(c.listen.front()));
  EXPECT_EQ(c.unix_socket_dir, "/run/pgtally");
  // Sessions must be done before the pod's terminationGracePeriodSeconds (45) runs out.
  EXPECT_LT(c.shutdown_timeout, std::chrono::seconds(45));
}

TEST(DeployConfig, ContainerImageDefaultCommandParses) {
  // CMD ["pgtally", ...] may span lines joined by backslashes.
  const std::string dockerfile =
      std::regex_replace(read(kSource / "deploy/Dockerfile"), std::regex(R"(\\\n\s*)"), "");
  std::smatch cmd;
  ASSERT_TRUE(std::regex_search(dockerfile, cmd, std::regex(R"(\nCMD (\[[^\n]*\]))")))
      << "deploy/Dockerfile has no CMD [...]";
  const auto args = nlohmann::json::parse(cmd[1].str()).get<std::vector<std::string>>();
  ASSERT_FALSE(args.empty());
  EXPECT_EQ(args.front(), "pgtally");
  const Config c = config_from(args);
  EXPECT_EQ(c.unix_socket_dir, "/run/pgtally") << "the directory the image creates for its user";
  EXPECT_EQ(parse_host_port(c.http)->port, 9932);
}

TEST(DeployConfig, SystemdUnitStartsWithTheExampleIni) {
  const std::string unit = read(kSource / "deploy/pgtally.service");
  std::smatch exec;
  ASSERT_TRUE(std::regex_search(unit, exec, std::regex(R"(\nExecStart=(\S+) ([^\n]*))")));
  std::vector<std::string> args{exec[1].str()};
  std::istringstream words(exec[2].str());
  for (std::string word; words >> word;) {
    // The install steps in the unit's header copy the example there.
    args.push_back(word == "/etc/pgtally/pgtally.ini"
                       ? (kSource / "deploy/pgtally.ini.example").string()
                       : word);
  }
  config_from(args);
}

}  // namespace
}  // namespace pgtally
