// A throwaway PostgreSQL 15 server for tests and the demo: initdb into a temporary directory,
// a free loopback port, one role per authentication method and a self-signed TLS certificate.
// Runs as the `postgres` user when started by root; stopped and deleted by the destructor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace pgtally::testing {

// Roles created in every instance; each password equals its role name.
inline constexpr std::string_view kTrustUser = "pgt_trust";
inline constexpr std::string_view kMd5User = "pgt_md5";
inline constexpr std::string_view kScramUser = "pgt_scram";
inline constexpr std::string_view kTestDatabase = "pgtally_test";

struct PostgresOptions {
  bool tls = true;
  int max_connections = 100;
  std::string extra_config;  // appended to postgresql.conf
};

class TempPostgres {
 public:
  explicit TempPostgres(PostgresOptions options = {});
  ~TempPostgres();
  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;
  TempPostgres(TempPostgres&&) = delete;
  TempPostgres& operator=(TempPostgres&&) = delete;

  [[nodiscard]] std::string host() const { return "127.0.0.1"; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& socket_dir() const { return dir_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const { return data_; }
  // The server's self-signed certificate (also its own CA) and key; pgtally's tests reuse them
  // for the client leg.
  [[nodiscard]] const std::filesystem::path& ca_cert() const { return cert_; }
  [[nodiscard]] std::filesystem::path server_key() const { return dir_ / "server.key"; }

  // libpq keyword/value connection string for a role of the instance (password included).
  [[nodiscard]] std::string conninfo(std::string_view user = kTrustUser,
                                     std::string_view database = kTestDatabase) const;

  // Runs SQL through psql as the superuser; throws with psql's output on failure.
  std::string psql(std::string_view sql, std::string_view database = kTestDatabase) const;

  void stop();   // fast shutdown; no-op when stopped
  void start();  // same port and data directory
  [[nodiscard]] bool running() const { return server_pid_ > 0; }

 private:
  void init_cluster();
  void wait_ready() const;

  PostgresOptions options_;
  std::filesystem::path dir_;
  std::filesystem::path data_;
  std::filesystem::path cert_;
  std::uint16_t port_ = 0;
  pid_t server_pid_ = -1;  // the launcher (runuser or postgres itself)
};

}  // namespace pgtally::testing
