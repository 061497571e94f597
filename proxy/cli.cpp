#include "proxy/cli.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "analyzer/metrics_catalog.hpp"

namespace pgtally {
namespace {

constexpr std::string_view kDescription =
    "pgtally: a PostgreSQL wire-protocol proxy that catches N+1 queries and connection-pool "
    "exhaustion.\nPoint your application's connection string at pgtally instead of "
    "PostgreSQL; every byte is relayed unchanged.";

struct Flags {
  std::string config_file;
  std::vector<std::string> listen;
  std::string unix_socket_dir;
  unsigned unix_socket_port = 0;
  std::string upstream;
  unsigned threads = 0;
  unsigned busy_poll_us = 0;
  unsigned max_client_conn = 0;
  unsigned startup_timeout = 0;
  unsigned connect_timeout = 0;
  unsigned shutdown_timeout = 0;
  std::uint32_t max_message_bytes = 0;
  std::string client_tls_cert;
  std::string client_tls_key;
  std::string server_tls;
  std::string server_tls_ca;
  std::string log_file;
  std::string log_level;
  std::string http;
  std::string findings_log;
  std::string http_token_file;
  std::uint32_t server_max_connections = 0;
  DetectorSettings detectors;
  bool no_analysis = false;
  bool no_value_sampling = false;
  bool ignore_tags = false;
};

std::string option_name(const char* key) {
  std::string name = std::string("--") + key;
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

void add_proxy_options(CLI::App& app, Flags& f) {
  app.add_option("-c,--config", f.config_file,
                 "INI config file with a [pgtally] section (keys as the long options, with _ "
                 "for -); options given here override it; SIGHUP re-reads it")
      ->check(CLI::ExistingFile);
  app.add_option("-l,--listen", f.listen,
                 "address to accept clients on, host:port or [v6]:port; repeat for more "
                 "(default 127.0.0.1:6432)");
  app.add_option("--unix-socket-dir", f.unix_socket_dir,
                 "also accept clients on <dir>/.s.PGSQL.<unix-socket-port>");
  app.add_option("--unix-socket-port", f.unix_socket_port,
                 "port number in the Unix socket's name (default 6432)");
  app.add_option("-u,--upstream", f.upstream,
                 "the PostgreSQL server: host:port, [v6]:port or /socket/dir:port "
                 "(default 127.0.0.1:5432)");
  app.add_option("-t,--threads", f.threads, "event-loop threads (default 2)");
  app.add_option("--busy-poll-us", f.busy_poll_us,
                 "microseconds an event-loop thread keeps polling after its last handler before "
                 "it sleeps: saves a wake-up per hop at low load, costs that much CPU per burst "
                 "(0 to 1000; default 0, off)");
  app.add_option("--max-client-conn", f.max_client_conn,
                 "most clients at once; the next gets ErrorResponse 53300 (default 1000)");
  app.add_option("--startup-timeout", f.startup_timeout,
                 "seconds a client has to complete startup and authentication (default 15)");
  app.add_option("--connect-timeout", f.connect_timeout,
                 "seconds to connect to the server (default 5)");
  app.add_option("--shutdown-timeout", f.shutdown_timeout,
                 "seconds SIGTERM lets sessions finish before closing them (default 30)");
  app.add_option("--max-message-bytes", f.max_message_bytes,
                 "largest client message accepted; a larger length gets 08P01 (default "
                 "1073741823, PostgreSQL's own limit)");
  app.add_option("--client-tls-cert", f.client_tls_cert,
                 "PEM certificate chain: clients may use TLS (with --client-tls-key)");
  app.add_option("--client-tls-key", f.client_tls_key, "PEM private key for --client-tls-cert");
  app.add_option("--server-tls", f.server_tls,
                 "TLS towards PostgreSQL: disable, prefer or require (default disable)")
      ->check(CLI::IsMember({"disable", "prefer", "require"}));
  app.add_option("--server-tls-ca", f.server_tls_ca,
                 "verify the server's certificate and host name against these CAs");
  app.add_option("--http", f.http,
                 "serve /metrics, /healthz, /readyz, /api and the page here, host:port, or off "
                 "(default 127.0.0.1:9932)");
  app.add_option("--http-token-file", f.http_token_file,
                 "file whose first line is the bearer token / and /api require when --http is "
                 "not loopback (else the PGTALLY_HTTP_TOKEN environment variable)");
  app.add_option("--server-max-connections", f.server_max_connections,
                 "the server's max_connections, for pool saturation findings (default 0: "
                 "unknown)");
  for (const DetectorSetting& d : detector_settings()) {
    app.add_option(option_name(d.key), f.detectors.*d.field, d.help)
        ->check(CLI::PositiveNumber)
        ->group("Detectors");
  }
  app.add_flag("--no-analysis", f.no_analysis,
               "relay only: no query analysis, no findings (for comparison runs)");
  app.add_flag("--no-value-sampling", f.no_value_sampling,
               "keep no hashes of parameters and result values (key-based N+1 detection off)");
  app.add_flag("--ignore-tags", f.ignore_tags,
               "attribute every statement as if untagged and keep its request_id and route as "
               "ground truth in /api/requests (for scoring untagged attribution in tests)")
      ->group("Testing");
  app.add_option("--log-file", f.log_file, "log here instead of stderr; SIGHUP reopens it");
  app.add_option("--findings-log", f.findings_log,
                 "one JSON line per finding: stdout, a file (SIGHUP reopens it) or off "
                 "(default stdout)");
  app.add_option("--log-level", f.log_level,
                 "trace, debug, info, warn, error, critical or off (default info)");
}

// Options given on the command line win over the file.
std::variant<Config, std::string> build_config(const CLI::App& app, const Flags& f) {
  Config config;
  if (!f.config_file.empty()) {
    auto loaded = load_config_file(f.config_file);
    if (auto* error = std::get_if<ConfigError>(&loaded)) return error->message;
    config = std::get<Config>(std::move(loaded));
  }
  auto given = [&app](const char* name) { return app.count(name) > 0; };
  if (given("--listen")) config.listen = f.listen;
  if (given("--unix-socket-dir")) config.unix_socket_dir = f.unix_socket_dir;
  if (given("--unix-socket-port")) {
    if (f.unix_socket_port > 65535) return std::string("--unix-socket-port: not a port number");
    config.unix_socket_port = static_cast<std::uint16_t>(f.unix_socket_port);
  }
  if (given("--upstream")) config.upstream = f.upstream;
  if (given("--threads")) config.threads = f.threads;
  if (given("--busy-poll-us")) config.busy_poll = std::chrono::microseconds(f.busy_poll_us);
  if (given("--max-client-conn")) config.max_client_conn = f.max_client_conn;
  if (given("--startup-timeout")) config.startup_timeout = std::chrono::seconds(f.startup_timeout);
  if (given("--connect-timeout")) config.connect_timeout = std::chrono::seconds(f.connect_timeout);
  if (given("--shutdown-timeout")) {
    config.shutdown_timeout = std::chrono::seconds(f.shutdown_timeout);
  }
  if (given("--max-message-bytes")) config.max_message_bytes = f.max_message_bytes;
  if (given("--client-tls-cert")) config.client_tls_cert_file = f.client_tls_cert;
  if (given("--client-tls-key")) config.client_tls_key_file = f.client_tls_key;
  if (given("--server-tls")) config.server_tls = *parse_server_tls(f.server_tls);
  if (given("--server-tls-ca")) config.server_tls_ca_file = f.server_tls_ca;
  if (given("--http")) config.http = f.http;
  if (given("--findings-log")) config.findings_log = f.findings_log;
  if (given("--http-token-file")) config.http_token_file = f.http_token_file;
  if (given("--server-max-connections")) config.server_max_connections = f.server_max_connections;
  for (const DetectorSetting& d : detector_settings()) {
    if (given(option_name(d.key).c_str())) config.detectors.*d.field = f.detectors.*d.field;
  }
  if (f.no_analysis) config.analysis = false;
  if (f.no_value_sampling) config.value_sampling = false;
  if (f.ignore_tags) config.ignore_tags = true;
  if (given("--log-file")) config.log_file = f.log_file;
  if (given("--log-level")) config.log_level = f.log_level;
  if (auto error = validate(config)) return error->message;
  return config;
}

}  // namespace

Command parse_command_line(const std::vector<std::string>& args) {
  CLI::App app{std::string(kDescription), "pgtally"};
  app.set_version_flag("-V,--version", std::string("pgtally ") + PGTALLY_VERSION);
  app.get_formatter()->column_width(34);
  Flags flags;
  add_proxy_options(app, flags);

  auto* demo = app.add_subcommand(
      "demo",
      "start a throwaway PostgreSQL and pgtally in front of it, run the storefront sample "
      "(migrations, service, load) through it, print the findings and where to look; keeps "
      "serving until interrupted");
  demo->fallthrough();  // pgtally's own options may follow `demo` (deploy/demo.sh passes them)
  RunDemo demo_options;
  demo->add_flag("--once", demo_options.once, "exit after the report instead of serving");
  demo->add_option("--requests", demo_options.requests, "requests the sample load sends")
      ->check(CLI::Range(static_cast<std::uint64_t>(1), static_cast<std::uint64_t>(1'000'000)))
      ->capture_default_str();
  demo->add_option("--concurrency", demo_options.concurrency,
                   "connections the sample load sends from")
      ->check(CLI::Range(1U, 256U))
      ->capture_default_str();
  demo->add_option("--sample-dir", demo_options.sample_dir,
                   "directory of storefront-migrate, pgtally-storefront and "
                   "pgtally-storefront-load (default: beside pgtally, or its build tree)");

  RunExpect expect_options;
  unsigned expect_timeout = 30;
  std::uint64_t max_queries = 0;
  auto* expect = app.add_subcommand(
      "expect",
      "wait until a request has ended, then check what pgtally saw of it; exit codes: 0 passed, "
      "1 an expectation failed, 2 usage, 3 unknown request, 4 incomplete data (events were "
      "dropped), 5 the request did not end in time, 6 pgtally's HTTP API could not be asked");
  expect->add_option("--http", expect_options.http,
                     "pgtally's HTTP listener, host:port (default 127.0.0.1:9932)");
  expect
      ->add_option("--request", expect_options.request_id,
                   "the request id the application tagged its queries with")
      ->required();
  auto* max_queries_option =
      expect->add_option("--max-queries", max_queries, "fail when the request made more queries");
  expect->add_flag("--no-n-plus-one", expect_options.no_n_plus_one,
                   "fail when the request has an N+1 finding");
  expect->add_option("--timeout", expect_timeout,
                     "seconds to wait for the request to appear and end (default 30)");
  expect->add_option("--token-file", expect_options.token_file,
                     "file holding the HTTP bearer token (else PGTALLY_HTTP_TOKEN)");
  app.add_subcommand("metrics-reference",
                     "print the reference of every metric pgtally exports, in Markdown");

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();  // program name
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return Exit{0, app.help()};
  } catch (const CLI::CallForVersion& e) {
    return Exit{0, std::string(e.what()) + "\n"};
  } catch (const CLI::ParseError& e) {
    return Exit{2, fmt::format("pgtally: {}\nRun 'pgtally --help' for the options.\n", e.what())};
  }
  if (app.got_subcommand("metrics-reference")) {
    return Exit{0, analyzer::metrics_reference_markdown()};
  }
  if (expect->parsed()) {
    if (!parse_host_port(expect_options.http)) {
      return Exit{
          2, fmt::format("pgtally expect: --http '{}' is not host:port\n", expect_options.http)};
    }
    if (max_queries_option->count() > 0) expect_options.max_queries = max_queries;
    expect_options.timeout = std::chrono::seconds(expect_timeout);
    return expect_options;
  }
  auto built = build_config(app, flags);
  if (auto* error = std::get_if<std::string>(&built)) {
    return Exit{2, fmt::format("pgtally: {}\n", *error)};
  }
  auto config = std::get<Config>(std::move(built));
  if (demo->parsed()) {
    demo_options.config = std::move(config);
    return demo_options;
  }
  return RunProxy{std::move(config)};
}

}  // namespace pgtally
