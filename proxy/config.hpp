// pgtally's settings: defaults, the INI config file (in the manner of pgbouncer.ini) and the
// command line, which overrides the file. Read by main and handed to the Proxy.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgtally {

enum class ServerTls : std::uint8_t { disable, prefer, require };

// The analyzer's thresholds that operators tune (DESIGN.md's defaults), in milliseconds and
// counts; the INI keys and options have the same names.
struct DetectorSettings {
  std::uint32_t request_idle_timeout_ms = 1000;  // a tagged request ends after this much idle
  std::uint32_t idle_gap_ms = 100;               // an untagged unit ends after this much idle
  std::uint32_t link_window_ms = 2000;        // a result row links later statements for this long
  std::uint32_t n_plus_one_threshold = 5;     // lookups of one shape in one request
  std::uint32_t saturation_window_ms = 5000;  // all connections busy for 90% of it
  std::uint32_t idle_in_transaction_ms = 2000;
  std::uint32_t churn_connections = 10;  // this many new connections within churn_window_ms
  std::uint32_t churn_window_ms = 10000;
};

// Past a millisecond, polling no longer saves a wake-up worth its CPU.
inline constexpr std::chrono::microseconds kMaxBusyPoll{1000};

struct Config {
  std::vector<std::string> listen{"127.0.0.1:6432"};  // host:port; [v6]:port; port 0 = any
  std::string unix_socket_dir;  // empty: no Unix socket; else .s.PGSQL.<unix_socket_port>
  std::uint16_t unix_socket_port = 6432;
  std::string upstream = "127.0.0.1:5432";  // host:port, or /socket/dir:port
  unsigned threads = 2;
  // How long an event-loop thread polls after its last handler before it sleeps; 0: never.
  std::chrono::microseconds busy_poll{0};
  unsigned max_client_conn = 1000;
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds(30)};
  std::uint32_t max_message_bytes = 0x3FFFFFFF;
  std::string client_tls_cert_file;  // both set: clients may use TLS
  std::string client_tls_key_file;
  ServerTls server_tls = ServerTls::disable;
  std::string server_tls_ca_file;       // set: verify the server's certificate against it
  std::string http = "127.0.0.1:9932";  // /metrics, /api, the page; "off": no HTTP listener
  std::string http_token_file;          // the bearer token for / and /api (else PGTALLY_HTTP_TOKEN)
  std::uint32_t server_max_connections = 0;  // the server's max_connections, 0: unknown
  DetectorSettings detectors;
  bool analysis = true;        // off: a bare relay (no observer on any session)
  bool value_sampling = true;  // off: no parameter or result hashes (--no-value-sampling)
  bool ignore_tags = false;    // tests: attribute as if untagged, keep the tags as ground truth
  std::string findings_log = "stdout";  // one JSON line per finding: stdout, a file, or off
  std::string log_file;                 // empty: stderr
  std::string log_level = "info";
  std::filesystem::path config_file;  // where this came from, for SIGHUP

  [[nodiscard]] bool client_tls() const {
    return !client_tls_cert_file.empty() && !client_tls_key_file.empty();
  }
};

// A setting that could not be used, with what to do about it.
struct ConfigError {
  std::string message;
};

// Reads `path` (section [pgtally]) over the defaults. Unknown keys are errors, so typos show.
// Returns the error instead of throwing so SIGHUP can keep the running config.
std::variant<Config, ConfigError> load_config_file(const std::filesystem::path& path,
                                                   Config base = {});

// Checks values that parse but cannot work together.
std::optional<ConfigError> validate(const Config& config);

std::string_view to_string(ServerTls mode);
std::optional<ServerTls> parse_server_tls(std::string_view text);

// The bearer token the HTTP listener requires: the first line of http_token_file, else the
// environment's PGTALLY_HTTP_TOKEN, else empty. An error when the listener is not on loopback
// and there is no token, or the file cannot be read.
std::variant<std::string, ConfigError> load_http_token(const Config& config);
// The first line of `token_file` (when named), else PGTALLY_HTTP_TOKEN, else empty; trailing
// blanks removed. Shared by the listener and `pgtally expect`.
std::variant<std::string, ConfigError> read_http_token(const std::string& token_file);

// The detector settings by their INI key (and option name with - for _), for the file and the
// command line.
struct DetectorSetting {
  const char* key;
  std::uint32_t DetectorSettings::*field;
  const char* help;
};
[[nodiscard]] std::span<const DetectorSetting> detector_settings();
// True for 127.0.0.0/8 and ::1.
bool is_loopback_address(std::string_view host_port);

// "host:port" or "[v6]:port" into its parts; nullopt when malformed.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text);

}  // namespace pgtally
