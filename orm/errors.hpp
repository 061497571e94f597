// The errors the ORM throws, each with a SQLSTATE-like code and a message a user can act on.
// Database errors are mapped from the server's SQLSTATE; the server's message and DETAIL are
// never copied (they quote values), only the constraint, table and column names.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgtally::orm {

// Base of everything the ORM throws. code() is a SQLSTATE ("23505") or, for errors raised
// before any SQL runs, an ORM code in the same shape ("PGT01" validation, "PGT02" pool timeout,
// "PGT03" refused in production, "PGT04" misuse of the API, "PGT05" an association registry
// that does not hold together).
class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  [[nodiscard]] const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// An error the server returned for a statement.
class DatabaseError : public Error {
 public:
  struct Details {
    std::string sqlstate;
    std::string severity;
    std::string table;
    std::string constraint;
    std::vector<std::string> columns;  // from the column field or the DETAIL's "Key (a, b)"
  };
  DatabaseError(Details details, const std::string& message)
      : Error(details.sqlstate, message), details_(std::move(details)) {}
  [[nodiscard]] const Details& details() const { return details_; }
  [[nodiscard]] const std::string& constraint() const { return details_.constraint; }
  [[nodiscard]] const std::string& table() const { return details_.table; }
  [[nodiscard]] const std::vector<std::string>& columns() const { return details_.columns; }

 private:
  Details details_;
};

class UniqueConstraintError : public DatabaseError {  // 23505
  using DatabaseError::DatabaseError;
};
class ForeignKeyConstraintError : public DatabaseError {  // 23503
  using DatabaseError::DatabaseError;
};
class CheckConstraintError : public DatabaseError {  // 23514
  using DatabaseError::DatabaseError;
};
class NotNullConstraintError : public DatabaseError {  // 23502
  using DatabaseError::DatabaseError;
};
// Statement timeout, lock timeout or cancel (57014, 55P03).
class TimeoutError : public DatabaseError {
  using DatabaseError::DatabaseError;
};

// The connection could not be opened or was lost (class 08, 57P01..57P03, or libpq reported
// the socket gone). The pool discards the connection; the next acquire opens a fresh one.
class ConnectionError : public Error {
 public:
  explicit ConnectionError(const std::string& message, std::string code = "08006")
      : Error(std::move(code), message) {}
};

// The pool had no connection to give within the acquire timeout.
class PoolTimeoutError : public Error {
 public:
  struct State {
    std::uint32_t in_use = 0;
    std::uint32_t idle = 0;
    std::uint32_t waiting = 0;  // other callers still waiting, this one excluded
    std::uint32_t max = 0;
    std::chrono::milliseconds timeout{0};
  };
  explicit PoolTimeoutError(State state);
  [[nodiscard]] const State& state() const { return state_; }

 private:
  State state_;
};

// A model value failed its declared validations; no SQL was sent.
class ValidationError : public Error {
 public:
  struct Failure {
    std::string field;      // the attribute name, e.g. "email"
    std::string validator;  // e.g. "isEmail"
    std::string message;
  };
  explicit ValidationError(std::string model, std::vector<Failure> failures);
  [[nodiscard]] const std::vector<Failure>& failures() const { return failures_; }
  [[nodiscard]] const std::string& model() const { return model_; }

 private:
  std::string model_;
  std::vector<Failure> failures_;
};

// A destructive operation (force or alter sync) asked for while PGTALLY_ENV=production.
class ProductionRefusal : public Error {
 public:
  explicit ProductionRefusal(const std::string& message) : Error("PGT03", message) {}
};

// The API was used in a way it cannot honour (an unknown column, a model without a primary
// key asked for findByPk, a destroy without a where).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error("PGT04", message) {}
};

// The association registry is inconsistent: a side declared without its inverse, an unknown
// column, a duplicate alias. Raised when the registry is validated, before any SQL runs.
class AssociationError : public Error {
 public:
  explicit AssociationError(const std::string& message) : Error("PGT05", message) {}
};

}  // namespace pgtally::orm
