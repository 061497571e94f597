#include "orm/transaction.hpp"

#include <fmt/format.h>

#include "orm/database.hpp"
#include "orm/errors.hpp"

namespace pgtally::orm {
namespace {

std::string begin_sql(const TransactionOptions& options) {
  std::string sql = "BEGIN";
  switch (options.isolation) {
    case Isolation::server_default:
      break;
    case Isolation::read_uncommitted:
      sql += " ISOLATION LEVEL READ UNCOMMITTED";
      break;
    case Isolation::read_committed:
      sql += " ISOLATION LEVEL READ COMMITTED";
      break;
    case Isolation::repeatable_read:
      sql += " ISOLATION LEVEL REPEATABLE READ";
      break;
    case Isolation::serializable:
      sql += " ISOLATION LEVEL SERIALIZABLE";
      break;
  }
  if (options.read_only) sql += " READ ONLY";
  return sql;
}

}  // namespace

Transaction::Transaction(Database& db, Lease lease, TransactionOptions options)
    : db_(&db), lease_(std::move(lease)) {
  control(begin_sql(options));
  open_ = true;
}

Transaction::Transaction(Transaction& parent, std::string savepoint)
    : db_(parent.db_), parent_(&parent), savepoint_(std::move(savepoint)) {
  control(fmt::format("SAVEPOINT {}", savepoint_));
  open_ = true;
}

Transaction::Transaction(Transaction&& other) noexcept
    : Executor(std::move(other)),
      db_(other.db_),
      lease_(std::move(other.lease_)),
      parent_(other.parent_),
      savepoint_(std::move(other.savepoint_)),
      savepoints_(other.savepoints_),
      open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  abandon();
}

Lease& Transaction::lease() {
  Transaction* root = this;
  while (root->parent_ != nullptr)
    root = root->parent_;
  return root->lease_;
}

Result Transaction::control(const std::string& sql) {
  return db_->execute_on(lease(), Statement{sql, {}}, true);
}

Result Transaction::run(const Statement& statement) {
  if (!open_) throw UsageError("the transaction is already committed or rolled back");
  return db_->execute_on(lease(), statement);
}

void Transaction::commit() {
  if (!open_) throw UsageError("the transaction is already committed or rolled back");
  open_ = false;
  control(nested() ? fmt::format("RELEASE SAVEPOINT {}", savepoint_) : std::string("COMMIT"));
}

void Transaction::rollback() {
  if (!open_) throw UsageError("the transaction is already committed or rolled back");
  open_ = false;
  control(nested() ? fmt::format("ROLLBACK TO SAVEPOINT {}", savepoint_) : std::string("ROLLBACK"));
}

void Transaction::abandon() noexcept {
  if (!open_) return;
  try {
    rollback();
  } catch (...) {
    // Lost connection or a failed rollback: the connection must not go back to the pool.
    lease().discard();
  }
  open_ = false;
}

Transaction Transaction::savepoint() {
  if (!open_) throw UsageError("the transaction is already committed or rolled back");
  Transaction* root = this;
  while (root->parent_ != nullptr)
    root = root->parent_;
  return Transaction(*this, fmt::format("pgtally_sp_{}", ++root->savepoints_));
}

}  // namespace pgtally::orm
