#include "proxy/config.hpp"

#include <arpa/inet.h>
#include <ini.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

namespace pgtally {
namespace {

constexpr std::string_view kSection = "pgtally";

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

template <typename Int>
std::optional<Int> parse_int(std::string_view text) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view to_string(ServerTls mode) {
  switch (mode) {
    case ServerTls::disable:
      return "disable";
    case ServerTls::prefer:
      return "prefer";
    case ServerTls::require:
      return "require";
  }
  return "disable";
}

std::optional<ServerTls> parse_server_tls(std::string_view text) {
  if (text == "disable") return ServerTls::disable;
  if (text == "prefer") return ServerTls::prefer;
  if (text == "require") return ServerTls::require;
  return std::nullopt;
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  const auto port = parse_int<std::uint16_t>(text.substr(colon + 1));
  if (!port || host.empty()) return std::nullopt;
  return HostPort{std::string(host), *port};
}

namespace {

struct IniContents {
  std::map<std::string, std::string, std::less<>> values;  // [pgtally] only
  std::string unknown;                                     // first unknown section or key
};

int collect(void* user, const char* section, const char* name, const char* value) {
  auto& contents = *static_cast<IniContents*>(user);
  static const std::set<std::string, std::less<>> known = {"listen",
                                                           "unix_socket_dir",
                                                           "unix_socket_port",
                                                           "upstream",
                                                           "threads",
                                                           "busy_poll_us",
                                                           "max_client_conn",
                                                           "startup_timeout",
                                                           "connect_timeout",
                                                           "shutdown_timeout",
                                                           "max_message_bytes",
                                                           "client_tls_cert_file",
                                                           "client_tls_key_file",
                                                           "server_tls",
                                                           "server_tls_ca_file",
                                                           "log_file",
                                                           "log_level",
                                                           "analysis",
                                                           "value_sampling",
                                                           "http",
                                                           "findings_log",
                                                           "http_token_file",
                                                           "server_max_connections",
                                                           "request_idle_timeout_ms",
                                                           "idle_gap_ms",
                                                           "link_window_ms",
                                                           "n_plus_one_threshold",
                                                           "saturation_window_ms",
                                                           "idle_in_transaction_ms",
                                                           "churn_connections",
                                                           "churn_window_ms"};
  if (std::string_view(section) != kSection) {
    if (contents.unknown.empty()) contents.unknown = fmt::format("section [{}]", section);
    return 1;
  }
  if (!known.contains(name)) {
    if (contents.unknown.empty()) contents.unknown = fmt::format("setting '{}'", name);
    return 1;
  }
  contents.values[name] = value;
  return 1;
}

}  // namespace

std::variant<Config, ConfigError> load_config_file(const std::filesystem::path& path, Config base) {
  IniContents contents;
  const int parse_error = ini_parse(path.c_str(), collect, &contents);
  if (parse_error < 0) {
    return ConfigError{fmt::format("cannot read config file {}", path.string())};
  }
  if (parse_error > 0) {
    return ConfigError{
        fmt::format("config file {}: syntax error on line {}", path.string(), parse_error)};
  }
  if (!contents.unknown.empty()) {
    return ConfigError{fmt::format("config file {}: unknown {} (pgtally reads [{}])", path.string(),
                                   contents.unknown, kSection)};
  }
  Config config = std::move(base);
  config.config_file = path;
  struct Ini {
    const IniContents& contents;
    [[nodiscard]] bool HasValue(std::string_view, std::string_view key) const {
      return contents.values.contains(key);
    }
  } ini{contents};
  const std::string section(kSection);
  auto get = [&](const char* key) {
    const auto it = contents.values.find(key);
    return it == contents.values.end() ? std::string() : it->second;
  };
  auto bad = [&](const char* key, std::string_view why) {
    return ConfigError{
        fmt::format("config file {}: {} = '{}': {}", path.string(), key, get(key), why)};
  };
  if (ini.HasValue(section, "listen")) config.listen = split_list(get("listen"));
  if (ini.HasValue(section, "unix_socket_dir")) config.unix_socket_dir = get("unix_socket_dir");
  if (ini.HasValue(section, "upstream")) config.upstream = get("upstream");
  if (ini.HasValue(section, "log_file")) config.log_file = get("log_file");
  if (ini.HasValue(section, "http")) config.http = get("http");
  if (ini.HasValue(section, "findings_log")) config.findings_log = get("findings_log");
  if (ini.HasValue(section, "http_token_file")) config.http_token_file = get("http_token_file");
  for (const DetectorSetting& d : detector_settings()) {
    if (!ini.HasValue(section, d.key)) continue;
    const auto value = parse_int<std::uint32_t>(get(d.key));
    if (!value || *value == 0) return bad(d.key, "expected a whole number above 0");
    config.detectors.*d.field = *value;
  }
  if (ini.HasValue(section, "server_max_connections")) {
    const auto value = parse_int<std::uint32_t>(get("server_max_connections"));
    if (!value) return bad("server_max_connections", "expected a whole number");
    config.server_max_connections = *value;
  }
  if (ini.HasValue(section, "log_level")) config.log_level = get("log_level");
  if (ini.HasValue(section, "client_tls_cert_file")) {
    config.client_tls_cert_file = get("client_tls_cert_file");
  }
  if (ini.HasValue(section, "client_tls_key_file")) {
    config.client_tls_key_file = get("client_tls_key_file");
  }
  if (ini.HasValue(section, "server_tls_ca_file")) {
    config.server_tls_ca_file = get("server_tls_ca_file");
  }
  for (const auto& [key, target] : {std::pair{"analysis", &config.analysis},
                                    std::pair{"value_sampling", &config.value_sampling}}) {
    if (!ini.HasValue(section, key)) continue;
    const std::string value = get(key);
    if (value == "on" || value == "true" || value == "1") {
      *target = true;
    } else if (value == "off" || value == "false" || value == "0") {
      *target = false;
    } else {
      return bad(key, "expected on or off");
    }
  }
  if (ini.HasValue(section, "server_tls")) {
    const auto mode = parse_server_tls(get("server_tls"));
    if (!mode) return bad("server_tls", "expected disable, prefer or require");
    config.server_tls = *mode;
  }
  struct Number {
    const char* key;
    unsigned* target;
  };
  unsigned unix_port = config.unix_socket_port;
  for (const Number n :
       {Number{"threads", &config.threads}, Number{"max_client_conn", &config.max_client_conn},
        Number{"unix_socket_port", &unix_port}}) {
    if (!ini.HasValue(section, n.key)) continue;
    const auto value = parse_int<unsigned>(get(n.key));
    if (!value) return bad(n.key, "expected a whole number");
    *n.target = *value;
  }
  if (unix_port > 65535) return bad("unix_socket_port", "expected a port number");
  config.unix_socket_port = static_cast<std::uint16_t>(unix_port);
  struct Duration {
    const char* key;
    std::chrono::milliseconds* target;
  };
  for (const Duration d : {Duration{"startup_timeout", &config.startup_timeout},
                           Duration{"connect_timeout", &config.connect_timeout},
                           Duration{"shutdown_timeout", &config.shutdown_timeout}}) {
    if (!ini.HasValue(section, d.key)) continue;
    const auto seconds = parse_int<unsigned>(get(d.key));
    if (!seconds) return bad(d.key, "expected whole seconds");
    *d.target = std::chrono::seconds(*seconds);
  }
  if (ini.HasValue(section, "busy_poll_us")) {
    const auto value = parse_int<unsigned>(get("busy_poll_us"));
    if (!value || std::chrono::microseconds(*value) > kMaxBusyPoll) {
      return bad("busy_poll_us",
                 fmt::format("expected 0 to {} microseconds", kMaxBusyPoll.count()));
    }
    config.busy_poll = std::chrono::microseconds(*value);
  }
  if (ini.HasValue(section, "max_message_bytes")) {
    const auto value = parse_int<std::uint32_t>(get("max_message_bytes"));
    if (!value) return bad("max_message_bytes", "expected a whole number of bytes");
    config.max_message_bytes = *value;
  }
  return config;
}

std::optional<ConfigError> validate(const Config& config) {
  if (config.listen.empty() && config.unix_socket_dir.empty()) {
    return ConfigError{"nothing to listen on: set listen or unix_socket_dir"};
  }
  for (const auto& address : config.listen) {
    if (!parse_host_port(address)) {
      return ConfigError{fmt::format("listen address '{}' is not host:port or [v6]:port", address)};
    }
  }
  if (!parse_host_port(config.upstream)) {
    return ConfigError{fmt::format("upstream '{}' is not host:port, [v6]:port or /socket/dir:port",
                                   config.upstream)};
  }
  if (config.threads == 0 || config.threads > 256) {
    return ConfigError{fmt::format("threads = {}: expected 1 to 256", config.threads)};
  }
  if (config.busy_poll > kMaxBusyPoll) {
    return ConfigError{fmt::format("busy_poll_us = {}: expected 0 to {}", config.busy_poll.count(),
                                   kMaxBusyPoll.count())};
  }
  if (config.max_client_conn == 0) return ConfigError{"max_client_conn must be at least 1"};
  if (config.client_tls_cert_file.empty() != config.client_tls_key_file.empty()) {
    return ConfigError{"client TLS needs both client_tls_cert_file and client_tls_key_file"};
  }
  if (config.http != "off" && !parse_host_port(config.http)) {
    return ConfigError{
        fmt::format("http address '{}' is not host:port, [v6]:port or off", config.http)};
  }
  if (config.max_message_bytes < 1024) {
    return ConfigError{"max_message_bytes below 1024 would refuse ordinary messages"};
  }
  return std::nullopt;
}

std::span<const DetectorSetting> detector_settings() {
  using D = DetectorSettings;
  static constexpr std::array<DetectorSetting, 8> kSettings = {{
      {"request_idle_timeout_ms", &D::request_idle_timeout_ms,
       "milliseconds of quiet after which a tagged request has ended (default 1000)"},
      {"idle_gap_ms", &D::idle_gap_ms,
       "milliseconds of quiet after which an untagged unit has ended (default 100)"},
      {"link_window_ms", &D::link_window_ms,
       "milliseconds a result row may link a later untagged statement that looks up one of its "
       "values (default 2000)"},
      {"n_plus_one_threshold", &D::n_plus_one_threshold,
       "lookups of one statement shape in one request that make an N+1 (default 5)"},
      {"saturation_window_ms", &D::saturation_window_ms,
       "a client group's connections all busy for 90% of this many milliseconds is pool "
       "saturation (default 5000)"},
      {"idle_in_transaction_ms", &D::idle_in_transaction_ms,
       "milliseconds a connection may sit idle inside a transaction (default 2000)"},
      {"churn_connections", &D::churn_connections,
       "new connections within churn_window_ms, with short lives, that make churn (default 10)"},
      {"churn_window_ms", &D::churn_window_ms, "see churn_connections (default 10000)"},
  }};
  return kSettings;
}

bool is_loopback_address(std::string_view host_port) {
  const auto parsed = parse_host_port(host_port);
  if (!parsed) return false;
  in_addr v4{};
  if (inet_pton(AF_INET, parsed->host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24U) == 127U;
  }
  in6_addr v6{};
  return inet_pton(AF_INET6, parsed->host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::variant<std::string, ConfigError> read_http_token(const std::string& token_file) {
  std::string token;
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    if (!in || !std::getline(in, token)) {
      return ConfigError{fmt::format("cannot read the HTTP token from {}", token_file)};
    }
  } else if (const char* env = std::getenv("PGTALLY_HTTP_TOKEN"); env != nullptr) {
    token = env;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  return token;
}

std::variant<std::string, ConfigError> load_http_token(const Config& config) {
  auto token = read_http_token(config.http_token_file);
  if (std::holds_alternative<ConfigError>(token)) return token;
  if (std::get<std::string>(token).empty() && config.http != "off" &&
      !is_loopback_address(config.http)) {
    return ConfigError{fmt::format(
        "http = {} is not a loopback address, so / and /api need a bearer token: write one to a "
        "file named by http_token_file, or set PGTALLY_HTTP_TOKEN",
        config.http)};
  }
  return token;
}

}  // namespace pgtally
