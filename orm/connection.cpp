#include "orm/connection.hpp"

#include <poll.h>

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "orm/errors.hpp"

namespace pgtally::orm {
namespace {

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value == nullptr ? std::string() : std::string(value);
}

// "Key (a, b)=(...) already exists." → {"a", "b"}; the values after '=' are never kept.
std::vector<std::string> key_columns(const std::string& detail) {
  std::vector<std::string> columns;
  const auto open = detail.find("Key (");
  if (open == std::string::npos) return columns;
  const auto close = detail.find(")=", open);
  if (close == std::string::npos) return columns;
  const std::string list = detail.substr(open + 5, close - open - 5);
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(", ", start);
    if (comma == std::string::npos) comma = list.size();
    columns.push_back(list.substr(start, comma - start));
    start = comma + 2;
  }
  return columns;
}

std::string where_text(const DatabaseError::Details& d) {
  std::string text;
  if (!d.constraint.empty()) text += fmt::format(" constraint \"{}\"", d.constraint);
  if (!d.table.empty()) text += fmt::format(" on table \"{}\"", d.table);
  if (!d.columns.empty()) text += fmt::format(" ({})", fmt::join(d.columns, ", "));
  return text;
}

}  // namespace

Result::Result(pg_result* result) : result_(result) {}
Result::~Result() {
  if (result_ != nullptr) PQclear(result_);
}
Result::Result(Result&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}
int Result::rows() const {
  return result_ == nullptr ? 0 : PQntuples(result_);
}
int Result::columns() const {
  return result_ == nullptr ? 0 : PQnfields(result_);
}
std::string Result::column_name(int column) const {
  return PQfname(result_, column);
}
int Result::column_index(const std::string& name) const {
  // PQfnumber folds unquoted names to lower case; quote to match exactly.
  return PQfnumber(result_, fmt::format("\"{}\"", name).c_str());
}
bool Result::is_null(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}
std::string_view Result::value(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}
const char* Result::data(int row, int column) const {
  return PQgetvalue(result_, row, column);
}
std::size_t Result::length(int row, int column) const {
  return static_cast<std::size_t>(PQgetlength(result_, row, column));
}
std::uint64_t Result::affected() const {
  const char* text = PQcmdTuples(result_);
  std::uint64_t n = 0;
  std::from_chars(text, text + std::strlen(text), n);
  return n;
}

Connection::Connection(const std::string& conninfo, const std::string& application_name,
                       std::uint64_t id)
    : id_(id) {
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {conninfo.c_str(), application_name.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (conn_ == nullptr) throw ConnectionError("cannot open a connection: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    // libpq's message names host, port and user, never the password.
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    PQfinish(conn_);
    conn_ = nullptr;
    throw ConnectionError(fmt::format("cannot connect to PostgreSQL: {}. Check the host, port and "
                                      "credentials of the database URL and that the server runs",
                                      message),
                          "08001");
  }
  // Server notices ("relation already exists, skipping") are not the application's output.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Result Connection::exec(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params)
    values.push_back(p ? p->c_str() : nullptr);
  PGresult* raw = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  const auto status = raw == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Result(raw);
  throw_error(conn_, raw);
}

bool Connection::ok() const {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

bool Connection::looks_healthy() const {
  if (!ok()) return false;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  const int ready = ::poll(&fd, 1, 0);
  return ready == 0;
}

bool Connection::in_transaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}
std::int32_t Connection::backend_pid() const {
  return PQbackendPID(conn_);
}
std::string Connection::user() const {
  return PQuser(conn_);
}
std::string Connection::database() const {
  return PQdb(conn_);
}
std::string Connection::host() const {
  const char* h = PQhost(conn_);
  return h == nullptr || h[0] == '/' ? std::string("unix") : std::string(h);
}

void throw_error(pg_conn* conn, pg_result* raw) {
  Result result(raw);  // freed on the way out
  DatabaseError::Details d;
  if (raw != nullptr) {
    d.sqlstate = field(raw, PG_DIAG_SQLSTATE);
    d.severity = field(raw, PG_DIAG_SEVERITY_NONLOCALIZED);
    d.table = field(raw, PG_DIAG_TABLE_NAME);
    d.constraint = field(raw, PG_DIAG_CONSTRAINT_NAME);
    const std::string column = field(raw, PG_DIAG_COLUMN_NAME);
    d.columns = column.empty() ? key_columns(field(raw, PG_DIAG_MESSAGE_DETAIL))
                               : std::vector<std::string>{column};
  }
  const std::string& s = d.sqlstate;
  if (s.empty() || PQstatus(conn) != CONNECTION_OK || s.starts_with("08") || s == "57P01" ||
      s == "57P02" || s == "57P03") {
    throw ConnectionError(
        fmt::format("connection to PostgreSQL lost (SQLSTATE {}): the statement's outcome is "
                    "unknown; the pool discards this connection, retry on a fresh one",
                    s.empty() ? "08006" : s),
        s.empty() ? "08006" : s);
  }
  const std::string where = where_text(d);
  if (s == "23505") {
    throw UniqueConstraintError(
        d, fmt::format("unique violation (SQLSTATE 23505):{}: a row with the same value already "
                       "exists; look it up first or choose another value",
                       where));
  }
  if (s == "23503") {
    throw ForeignKeyConstraintError(
        d, fmt::format("foreign-key violation (SQLSTATE 23503):{}: the referenced row is missing, "
                       "or rows still reference the one being deleted",
                       where));
  }
  if (s == "23514") {
    throw CheckConstraintError(
        d, fmt::format("check violation (SQLSTATE 23514):{}: the value breaks the table's CHECK",
                       where));
  }
  if (s == "23502") {
    throw NotNullConstraintError(
        d, fmt::format("not-null violation (SQLSTATE 23502):{}: give the column a value or "
                       "declare it allowNull",
                       where));
  }
  if (s == "57014" || s == "55P03") {
    throw TimeoutError(
        d, fmt::format("statement timed out or was cancelled (SQLSTATE {}){}", s, where));
  }
  // Class 42 messages name objects, not values (syntax errors, unknown columns): they are what
  // a developer needs to fix the statement. Other messages may quote values and stay out.
  const std::string primary =
      s.starts_with("42") ? ": " + field(raw, PG_DIAG_MESSAGE_PRIMARY) : std::string();
  throw DatabaseError(d, fmt::format("database error (SQLSTATE {}){}{}", s, primary, where));
}

}  // namespace pgtally::orm
