// Real PostgreSQL clients work through pgtally: psql, pgjdbc, psycopg 3, psycopg2 and
// node-postgres each run a script directly against PostgreSQL and through pgtally, on every
// TLS arrangement of pgtally's two legs, exit 0 both ways and print the same thing; pgbench
// initializes its tables and runs its transactions in every query mode through pgtally without
// a failure; a client killed mid-transaction leaves no backend behind; and SCRAM channel binding
// behaves as pgtally documents. A client that is not installed fails its test with the package
// to install.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/proxy/proxy_fixture.hpp"
#include "tests/support/subprocess.hpp"

namespace pgtally::testing {
namespace {

const std::filesystem::path kClientsDir = PGTALLY_CLIENTS_DIR;  // tests/clients in the source
constexpr std::string_view kPgBin = "/usr/lib/postgresql/15/bin";
constexpr auto kClientDeadline = std::chrono::seconds(180);

// How client programs run: with the libpq environment `env`, in `workdir`, under a deadline.
ProcessOptions client_options(std::vector<std::pair<std::string, std::string>> env = {},
                              std::string workdir = "",
                              std::chrono::milliseconds deadline = kClientDeadline) {
  ProcessOptions options;
  options.env = std::move(env);
  options.workdir = std::move(workdir);
  options.deadline = deadline;
  return options;
}

// Something a client needs, checked by a command that exits 0 when it is there.
struct Prerequisite {
  std::vector<std::string> probe;
  std::string install;  // what to install when the probe fails
};

// Fails the test, naming what to install, unless every prerequisite is there.
void require(const std::vector<Prerequisite>& prerequisites) {
  for (const auto& p : prerequisites) {
    const auto result = run_process(p.probe, client_options({}, "", std::chrono::seconds(60)));
    ASSERT_EQ(result.exit_code, 0)
        << "missing prerequisite: install " << p.install
        << " (checked with: " << fmt::format("{}", fmt::join(p.probe, " ")) << ")\n"
        << result.output;
  }
}

// The libpq environment every client script reads its connection from.
// `options` goes to the server in the startup packet (PGOPTIONS).
std::vector<std::pair<std::string, std::string>> libpq_env(std::uint16_t port,
                                                           std::string_view user,
                                                           std::string options = "") {
  return {{"PGHOST", "127.0.0.1"},
          {"PGPORT", std::to_string(port)},
          {"PGUSER", std::string(user)},
          {"PGPASSWORD", std::string(user)},
          {"PGDATABASE", std::string(kTestDatabase)},
          {"PGOPTIONS", std::move(options)},
          {"PGAPPNAME", "pgtally-client-tests"}};
}

// How pgtally's two legs are set up.
enum class Transport : std::uint8_t {
  plain,           // no TLS configured; clients keep their default sslmode
  tls_to_clients,  // pgtally offers TLS and the clients require it (sslmode=require)
  tls_to_server,   // pgtally speaks TLS to PostgreSQL; the clients' leg is plain
  tls_both_legs,   // TLS on both legs, pgtally with a certificate of its own
};

std::string_view to_string(Transport t) {
  switch (t) {
    case Transport::plain:
      return "plain";
    case Transport::tls_to_clients:
      return "tls_to_clients";
    case Transport::tls_to_server:
      return "tls_to_server";
    case Transport::tls_both_legs:
      return "tls_both_legs";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, Transport t) {
  return out << to_string(t);
}

// A self-signed certificate and key for pgtally, distinct from PostgreSQL's; made once, deleted
// at exit.
struct PgtallyCertificate {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("pgtally-clients-cert-{}", ::getpid());
  std::filesystem::path cert = dir / "pgtally.crt";
  std::filesystem::path key = dir / "pgtally.key";

  PgtallyCertificate() {
    std::filesystem::create_directories(dir);
    const auto made =
        run_process({"openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=pgtally",
                     "-newkey", "rsa:2048", "-keyout", key.string(), "-out", cert.string()});
    if (made.exit_code != 0) throw std::runtime_error("openssl req failed: " + made.output);
  }
  ~PgtallyCertificate() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  PgtallyCertificate(const PgtallyCertificate&) = delete;
  PgtallyCertificate& operator=(const PgtallyCertificate&) = delete;
  PgtallyCertificate(PgtallyCertificate&&) = delete;
  PgtallyCertificate& operator=(PgtallyCertificate&&) = delete;
};

const PgtallyCertificate& pgtally_certificate() {
  static const PgtallyCertificate certificate;
  return certificate;
}

Config pgtally_config(Transport transport) {
  Config config = proxy_config();
  if (transport == Transport::tls_to_clients) {
    // PostgreSQL's self-signed certificate serves the client leg as well.
    config.client_tls_cert_file = postgres().ca_cert().string();
    config.client_tls_key_file = postgres().server_key().string();
  }
  if (transport == Transport::tls_to_server) config.server_tls = ServerTls::require;
  if (transport == Transport::tls_both_legs) {
    config.client_tls_cert_file = pgtally_certificate().cert.string();
    config.client_tls_key_file = pgtally_certificate().key.string();
    config.server_tls = ServerTls::require;
  }
  return config;
}

// pgtally in front of the binary's PostgreSQL, one per transport, for a suite.
class ThroughPgtally : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { proxies_.clear(); }
  static std::uint16_t direct_port() { return postgres().port(); }
  static std::uint16_t pgtally_port(Transport transport = Transport::plain) {
    auto& proxy = proxies_[transport];
    if (!proxy) proxy = std::make_unique<RunningProxy>(pgtally_config(transport));
    return proxy->port();
  }

 private:
  static std::map<Transport, std::unique_ptr<RunningProxy>> proxies_;
};
std::map<Transport, std::unique_ptr<RunningProxy>> ThroughPgtally::proxies_;

// ---------------------------------------------------------------------------------------------
// Client scripts: the same output directly and through pgtally.

struct ClientScript {
  std::string name;
  std::string_view user;  // also picks the authentication method: trust, md5 or SCRAM
  std::vector<Prerequisite> prerequisites;
  // The command for a server on 127.0.0.1:`port`, requiring TLS when `tls`; the libpq
  // environment is set as well.
  std::function<std::vector<std::string>(std::uint16_t port, std::string_view user, bool tls)>
      command;
  // Environment that makes the client require TLS (without verifying the self-signed certificate).
  std::vector<std::pair<std::string, std::string>> require_tls_env;
  std::vector<std::string> must_print;  // lines showing the script did its work
  // Query-protocol variants of a client that already runs on every transport run plain only.
  bool every_transport = true;
};

std::ostream& operator<<(std::ostream& out, const ClientScript& c) {
  return out << c.name;
}

const Prerequisite kDebianPython{{"/usr/bin/python3", "--version"}, "the Debian package python3"};

// pgjdbc with `url_parameters` (name=value&...) in its URL; `must_print` adds to the lines every
// run prints.
ClientScript jdbc(std::string name, std::string url_parameters,
                  std::vector<std::string> must_print) {
  must_print.insert(must_print.end(), {"prepared 12: 24 v12! 12.75 10000000012 true",
                                       "after rollback: count=52 sum=2938.00", "error: 23505",
                                       "fetched in chunks: 2500 rows, sum 3126250", "copy in: 2000",
                                       "cancelled: 57014", "done"});
  return {.name = std::move(name),
          .user = kScramUser,
          .prerequisites = {{{"/usr/bin/java", "-version"},
                             "the Debian package openjdk-17-jdk-headless"},
                            {{"/usr/bin/javac", "-version"},
                             "the Debian package openjdk-17-jdk-headless"},
                            {{"test", "-r", "/usr/share/java/postgresql.jar"},
                             "the Debian package libpostgresql-jdbc-java"}},
          .command =
              [url_parameters](std::uint16_t port, std::string_view user, bool tls) {
                std::string parameters = url_parameters;
                if (tls) parameters += parameters.empty() ? "sslmode=require" : "&sslmode=require";
                return std::vector<std::string>{
                    "/usr/bin/java",
                    // A short-lived JVM: quick JIT and the serial collector halve its CPU time.
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                    "/usr/share/java/postgresql.jar",
                    (kClientsDir / "jdbc/JdbcCheck.java").string(),
                    fmt::format("jdbc:postgresql://127.0.0.1:{}/{}{}{}", port, kTestDatabase,
                                parameters.empty() ? "" : "?", parameters),
                    std::string(user), std::string(user)};
              },
          .require_tls_env = {},
          .must_print = std::move(must_print),
          .every_transport = url_parameters.empty()};
}

std::vector<ClientScript> client_scripts() {
  return {
      {.name = "psql",
       .user = kMd5User,
       .prerequisites = {{{fmt::format("{}/psql", kPgBin), "--version"},
                          "the Debian package postgresql-client-15"}},
       .command =
           [](std::uint16_t, std::string_view, bool) {
             return std::vector<std::string>{fmt::format("{}/psql", kPgBin), "--no-psqlrc",
                                             "--file", (kClientsDir / "psql/script.sql").string()};
           },
       .require_tls_env = {{"PGSSLMODE", "require"}},
       .must_print = {"COPY 3", "COPY 2", "items: 8 total: 30.49", "(id)=(1) already exists",
                      "division by zero", "invalid input syntax for type integer: \"ten\"",
                      "imported_bytes", "after_rollback", "still connected",
                      "apple,bread,cheese,dates,eggs,flour, white,grapes, red,honey \"raw\""}},
      jdbc("jdbc", "",
           {"server-side prepared: true", "named statements on the server: 1",
            "batch: 50 statements, 50 rows"}),
      // Server-side statements from the first execution, batches rewritten into multi-row
      // INSERTs, and a SAVEPOINT before every statement in a transaction.
      jdbc("jdbc_eager", "prepareThreshold=1&reWriteBatchedInserts=true&autosave=always",
           {"named statements on the server: 2", "batch: 50 statements, -100 rows"}),
      // Parameters inlined into simple Query messages; no server-side statements.
      jdbc("jdbc_simple_protocol", "preferQueryMode=simple",
           {"named statements on the server: 0", "batch: 50 statements, 50 rows"}),
      {.name = "psycopg3",
       .user = kScramUser,
       .prerequisites = {kDebianPython,
                         {{"/usr/bin/python3", "-c", "import psycopg"},
                          "the Debian package python3-psycopg"}},
       .command =
           [](std::uint16_t, std::string_view, bool) {
             return std::vector<std::string>{"/usr/bin/python3",
                                             (kClientsDir / "python/psycopg_check.py").string()};
           },
       .require_tls_env = {{"PGSSLMODE", "require"}},
       .must_print = {"prepared 10 ('customer-2', Decimal('30.00'))",
                      "named statements on the server: 1", "copy in: 300",
                      "copy out: ('350', 'bulk-350', '87.50')", "pipeline: [0, 10, 20, 30, 40]",
                      "binary copy: 320", "pipeline error: 22012 ('before',)",
                      "cancelled: ['57014']", "copy abandoned: 57014", "error: 23505 orders_pkey",
                      "done"}},
      {.name = "psycopg2",
       .user = kMd5User,
       .prerequisites = {kDebianPython,
                         {{"/usr/bin/python3", "-c", "import psycopg2"},
                          "the Debian package python3-psycopg2"}},
       .command =
           [](std::uint16_t, std::string_view, bool) {
             return std::vector<std::string>{"/usr/bin/python3",
                                             (kClientsDir / "python/psycopg2_check.py").string()};
           },
       .require_tls_env = {{"PGSSLMODE", "require"}},
       .must_print = {"inserted: (230, Decimal('26158.125'))", "after rollback: (230,)",
                      "copy in: 300", "named cursor: 530 1 1299 371415", "error: 23505 events_pkey",
                      "cancelled: ['57014']",
                      "large object: 76800 True e8e9eaebecedeeeff0f1f2f3f4f5f6f7", "done"}},
      {.name = "node_postgres",
       .user = kScramUser,
       .prerequisites = {{{"/usr/bin/node", "--version"}, "the Debian package nodejs"},
                         {{"/usr/bin/node", "-e",
                           fmt::format("require('{}')",
                                       (kClientsDir / "node/node_modules/pg").string())},
                          "the npm package pg (run: bash tests/clients/install.sh)"}},
       .command =
           [](std::uint16_t, std::string_view, bool) {
             return std::vector<std::string>{"/usr/bin/node",
                                             (kClientsDir / "node/pg_check.js").string()};
           },
       .require_tls_env = {{"PGSSLMODE", "no-verify"}},
       .must_print = {"named statements on the server: 1", "after rollback: 40",
                      "error: 23505 visits_pkey", "pool: 1=1 2=2", "24=24",
                      "pool transactions: 2.5 4.0 5.5 7.0 8.5 10.0 11.5 13.0", "done"}},
  };
}

class RealClient : public ThroughPgtally,
                   public ::testing::WithParamInterface<std::tuple<ClientScript, Transport>> {
 protected:
  static ProcessResult run(const ClientScript& client, std::uint16_t port, Transport transport) {
    const bool tls =
        transport == Transport::tls_to_clients || transport == Transport::tls_both_legs;
    auto env = libpq_env(port, client.user);
    if (tls) env.insert(env.end(), client.require_tls_env.begin(), client.require_tls_env.end());
    // SCRAM channel binding cannot span two TLS sessions (see ChannelBinding below): libpq
    // clients turn it off, as pgtally's startup warning says. pgjdbc 42.5 and node-postgres do
    // not bind by default.
    if (transport == Transport::tls_both_legs) env.emplace_back("PGCHANNELBINDING", "disable");
    return run_process(client.command(port, client.user, tls),
                       client_options(std::move(env), kClientsDir.string()));
  }
};

TEST_P(RealClient, PrintsTheSameDirectlyAndThroughPgtally) {
  const auto& [client, transport] = GetParam();
  require(client.prerequisites);
  if (HasFatalFailure()) return;

  const auto direct = run(client, direct_port(), transport);
  ASSERT_FALSE(direct.timed_out) << direct.output;
  ASSERT_EQ(direct.exit_code, 0) << "directly against PostgreSQL:\n" << direct.output;
  for (const auto& line : client.must_print) {
    ASSERT_NE(direct.output.find(line), std::string::npos)
        << "expected '" << line << "' in the direct output:\n"
        << direct.output;
  }

  const auto through = run(client, pgtally_port(transport), transport);
  ASSERT_FALSE(through.timed_out) << through.output;
  EXPECT_EQ(through.exit_code, 0) << "through pgtally:\n" << through.output;
  EXPECT_EQ(through.output, direct.output);
}

std::vector<std::tuple<ClientScript, Transport>> client_runs() {
  std::vector<std::tuple<ClientScript, Transport>> runs;
  for (const auto& client : client_scripts()) {
    for (const auto transport : {Transport::plain, Transport::tls_to_clients,
                                 Transport::tls_to_server, Transport::tls_both_legs}) {
      if (transport == Transport::plain || client.every_transport) {
        runs.emplace_back(client, transport);
      }
    }
  }
  return runs;
}

INSTANTIATE_TEST_SUITE_P(Clients, RealClient, ::testing::ValuesIn(client_runs()),
                         [](const auto& test) {
                           return fmt::format("{}_{}", std::get<0>(test.param).name,
                                              to_string(std::get<1>(test.param)));
                         });

// ---------------------------------------------------------------------------------------------
// SCRAM channel binding cannot span two TLS sessions: through pgtally with TLS on both legs the
// client binds to pgtally's certificate and PostgreSQL checks against its own. libpq's default
// (channel_binding=prefer) therefore fails to log in with SCRAM, while it works directly;
// channel_binding=disable logs in. pgtally says so in a warning at startup.

class ScramChannelBinding : public ThroughPgtally {};

TEST_F(ScramChannelBinding, FailsAcrossBothTlsLegsUnlessTheClientDisablesIt) {
  const std::string direct = postgres().conninfo(kScramUser) + " sslmode=require";
  const std::string through =
      fmt::format("host=127.0.0.1 port={} user={} password={} dbname={} sslmode=require",
                  pgtally_port(Transport::tls_both_legs), kScramUser, kScramUser, kTestDatabase);

  EXPECT_EQ(scalar(connect_ok(direct).get(), "SELECT 'direct'"), "direct");
  const auto refused = connect(through);
  EXPECT_EQ(PQstatus(refused.get()), CONNECTION_BAD);
  EXPECT_NE(std::string(PQerrorMessage(refused.get())).find("SCRAM channel binding check failed"),
            std::string::npos)
      << PQerrorMessage(refused.get());
  EXPECT_EQ(scalar(connect_ok(through + " channel_binding=disable").get(), "SELECT 'through'"),
            "through");
}

// ---------------------------------------------------------------------------------------------
// A client that dies without a goodbye (no Terminate, no orderly close) leaves no server
// connection behind: pgtally closes the server side, so the backend exits and its locks go.

class AbandonedClient : public ThroughPgtally, public ::testing::WithParamInterface<Transport> {};

TEST_P(AbandonedClient, KilledPsqlInATransactionLeavesNoBackendBehind) {
  const Transport transport = GetParam();
  const std::string psql = fmt::format("{}/psql", kPgBin);
  require({{{psql, "--version"}, "the Debian package postgresql-client-15"}});
  if (HasFatalFailure()) return;
  auto watcher = connect_ok(postgres().conninfo());
  const std::string app = fmt::format("pgtally-killed-psql-{}", to_string(transport));
  const std::string table = fmt::format("clients_abandoned_{}", to_string(transport));
  rows(watcher.get(), fmt::format("SET client_min_messages = warning; DROP TABLE IF EXISTS {0};"
                                  " CREATE TABLE {0} (id int);"
                                  " GRANT ALL ON {0} TO {1}",
                                  table, kMd5User));

  auto env = libpq_env(pgtally_port(transport), kMd5User);
  env.emplace_back("PGAPPNAME", app);  // overrides the default set above
  if (transport == Transport::tls_to_clients || transport == Transport::tls_both_legs) {
    env.emplace_back("PGSSLMODE", "require");
  }
  // psql takes a lock inside a transaction, then SIGKILLs itself from a shell escape.
  const auto killed = run_process(
      {psql, "--no-psqlrc", "--echo-all", "-c",
       fmt::format("BEGIN; LOCK TABLE {} IN ACCESS EXCLUSIVE MODE; SELECT 'locked'", table), "-c",
       "\\! kill -9 $PPID"},
      client_options(env));
  ASSERT_FALSE(killed.timed_out) << killed.output;
  ASSERT_NE(killed.output.find("locked"), std::string::npos) << killed.output;
  EXPECT_EQ(killed.exit_code, -1) << "psql should have been killed:\n" << killed.output;

  const std::string backends =
      fmt::format("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{}'", app);
  EXPECT_TRUE(eventually([&] { return scalar(watcher.get(), backends) == "0"; }))
      << "the killed client's backend is still there: "
      << fmt::format("{}", fmt::join(rows(watcher.get(),
                                          "SELECT pid, state, query FROM pg_stat_activity WHERE "
                                          "application_name = '" +
                                              app + "'"),
                                     "; "));
  EXPECT_EQ(scalar(watcher.get(), fmt::format("SET lock_timeout = '30s'; LOCK TABLE {} IN ACCESS "
                                              "EXCLUSIVE MODE; SELECT 'lock released'",
                                              table)),
            "lock released");
  rows(watcher.get(), fmt::format("DROP TABLE {}", table));
}

INSTANTIATE_TEST_SUITE_P(Transports, AbandonedClient,
                         ::testing::Values(Transport::plain, Transport::tls_to_clients,
                                           Transport::tls_to_server, Transport::tls_both_legs),
                         [](const auto& test) { return std::string(to_string(test.param)); });

// ---------------------------------------------------------------------------------------------
// pgbench: initialization and transactions in every query mode, through pgtally.

struct PgbenchRun {
  std::string name;
  std::vector<std::string> options;  // query mode and script
  int clients = 4;
  int transactions_per_client = 50;
  std::string_view user = kTrustUser;  // owns the schema; SCRAM makes every connection authenticate
};

std::ostream& operator<<(std::ostream& out, const PgbenchRun& r) {
  return out << r.name;
}

std::vector<PgbenchRun> pgbench_runs() {
  const std::string transfer = (kClientsDir / "pgbench/transfer.sql").string();
  const std::string pipeline = (kClientsDir / "pgbench/pipeline.sql").string();
  return {
      {"tpcb_simple", {"--protocol=simple"}},
      {"tpcb_extended", {"--protocol=extended"}},
      {"tpcb_prepared", {"--protocol=prepared"}},
      {"custom_script_extended", {"--protocol=extended", "--file", transfer, "-D", "span=5000"}},
      {"custom_script_prepared", {"--protocol=prepared", "--file", transfer, "-D", "span=5000"}},
      {"pipelined_script_extended", {"--protocol=extended", "--file", pipeline, "-D", "span=5000"}},
      {"pipelined_script_prepared", {"--protocol=prepared", "--file", pipeline, "-D", "span=5000"}},
      {"new_scram_connection_per_transaction",
       {"--protocol=prepared", "--connect"},
       4,
       50,
       kScramUser},
      {"many_clients", {"--protocol=extended"}, 40, 10},
  };
}

class Pgbench : public ThroughPgtally, public ::testing::WithParamInterface<PgbenchRun> {
 protected:
  // pgbench's tables in their own schema (search_path in the startup options), created directly.
  static std::string schema() { return "clients_pgbench_" + GetParam().name; }

  static ProcessResult pgbench(std::vector<std::string> args) {
    args.insert(args.begin(), fmt::format("{}/pgbench", kPgBin));
    return run_process(args, client_options(libpq_env(pgtally_port(), GetParam().user,
                                                      "-c search_path=" + schema())));
  }
};

TEST_P(Pgbench, RunsEveryTransactionThroughPgtallyWithoutFailures) {
  require({{{fmt::format("{}/pgbench", kPgBin), "--version"}, "the Debian package postgresql-15"}});
  if (HasFatalFailure()) return;
  auto conn = connect_ok(postgres().conninfo());
  rows(conn.get(),
       fmt::format("SET client_min_messages = warning; DROP SCHEMA IF EXISTS {0} CASCADE;"
                   " CREATE SCHEMA {0} AUTHORIZATION {1}",
                   schema(), GetParam().user));

  const auto init = pgbench({"--initialize", "--scale=1"});
  ASSERT_EQ(init.exit_code, 0) << init.output;
  ASSERT_EQ(scalar(conn.get(), fmt::format("SELECT count(*) FROM {}.pgbench_accounts", schema())),
            "100000")
      << init.output;

  const PgbenchRun& p = GetParam();
  const int transactions = p.clients * p.transactions_per_client;
  auto args = p.options;
  args.insert(args.end(), {"--client", std::to_string(p.clients), "--jobs", "2", "--transactions",
                           std::to_string(p.transactions_per_client)});
  const auto run = pgbench(args);
  ASSERT_FALSE(run.timed_out) << run.output;
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(
                fmt::format("number of transactions actually processed: {0}/{0}\n", transactions)),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("number of failed transactions: 0 (0.000%)"), std::string::npos)
      << run.output;

  // Every transaction committed exactly once: one history row each, and the balances add up.
  EXPECT_EQ(scalar(conn.get(), fmt::format("SELECT count(*) FROM {}.pgbench_history", schema())),
            std::to_string(transactions));
  EXPECT_EQ(
      scalar(conn.get(), fmt::format("SELECT (SELECT sum(abalance) FROM {0}.pgbench_accounts) = "
                                     "(SELECT sum(delta) FROM {0}.pgbench_history)",
                                     schema())),
      "t");
  rows(conn.get(), fmt::format("DROP SCHEMA {} CASCADE", schema()));
}

INSTANTIATE_TEST_SUITE_P(QueryModes, Pgbench, ::testing::ValuesIn(pgbench_runs()),
                         [](const auto& test) { return test.param.name; });

}  // namespace
}  // namespace pgtally::testing
