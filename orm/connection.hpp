// One libpq connection and its results, as RAII objects. The pool owns connections; the
// database runs statements on them with bound text parameters. Nothing here logs the conninfo.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orm/types.hpp"

struct pg_conn;
struct pg_result;

namespace pgtally::orm {

// A statement result (PGresult), owning its memory; rows outlive the connection.
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* result);
  ~Result();
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  [[nodiscard]] int rows() const;
  [[nodiscard]] int columns() const;
  [[nodiscard]] std::string column_name(int column) const;
  // -1 when the result has no such column.
  [[nodiscard]] int column_index(const std::string& name) const;
  [[nodiscard]] bool is_null(int row, int column) const;
  [[nodiscard]] std::string_view value(int row, int column) const;
  [[nodiscard]] const char* data(int row, int column) const;
  [[nodiscard]] std::size_t length(int row, int column) const;
  // Rows a command touched (UPDATE 3 → 3).
  [[nodiscard]] std::uint64_t affected() const;
  [[nodiscard]] pg_result* get() const { return result_; }

 private:
  pg_result* result_ = nullptr;
};

class Connection {
 public:
  // Opens a connection (a URI or key=value conninfo; empty: libpq's PG* environment); throws
  // ConnectionError. application_name applies unless conninfo names one; id names it in events.
  Connection(const std::string& conninfo, const std::string& application_name, std::uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  // Runs one statement with text parameters; throws the mapped Error on failure.
  Result exec(const std::string& sql, const std::vector<Param>& params);
  // Runs a parameterless command (BEGIN, SAVEPOINT); throws the mapped Error on failure.
  Result command(const std::string& sql) { return exec(sql, {}); }

  [[nodiscard]] bool ok() const;
  // Neither broken nor with unread input while idle (the server only speaks when spoken to,
  // so bytes waiting on an idle socket mean a termination notice or EOF).
  [[nodiscard]] bool looks_healthy() const;
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] std::int32_t backend_pid() const;
  [[nodiscard]] std::uint64_t id() const { return id_; }
  [[nodiscard]] std::string user() const;
  [[nodiscard]] std::string database() const;
  [[nodiscard]] std::string host() const;

 private:
  pg_conn* conn_ = nullptr;
  std::uint64_t id_ = 0;
};

// Maps a failed result (or a lost connection when result is null) to the ORM's error types.
[[noreturn]] void throw_error(pg_conn* conn, pg_result* raw);

}  // namespace pgtally::orm
