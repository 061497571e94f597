// Transactions: managed (db.transaction(fn): commit when fn returns, rollback and rethrow when
// it throws), unmanaged (db.begin(): commit()/rollback(), rolled back if dropped open),
// isolation levels, and nesting through savepoints. Repositories run inside one when given it.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "orm/executor.hpp"
#include "orm/pool.hpp"

namespace pgtally::orm {

enum class Isolation : std::uint8_t {
  server_default,
  read_uncommitted,
  read_committed,
  repeatable_read,
  serializable,
};

struct TransactionOptions {
  Isolation isolation = Isolation::server_default;
  bool read_only = false;
};

class Transaction final : public Executor {
 public:
  // Starts a transaction on a leased connection (Database::begin calls this).
  Transaction(Database& db, Lease lease, TransactionOptions options);
  ~Transaction() override;  // rolls back when still open; never throws
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();    // COMMIT, or RELEASE SAVEPOINT when nested
  void rollback();  // ROLLBACK, or ROLLBACK TO SAVEPOINT when nested
  [[nodiscard]] bool open() const { return open_; }
  [[nodiscard]] bool nested() const { return parent_ != nullptr; }

  // An unmanaged nested transaction (a savepoint); this one must outlive it.
  Transaction savepoint();
  // A managed nested transaction: rolls back to the savepoint and rethrows when fn throws.
  template <typename F>
  decltype(auto) transaction(F&& fn);

  Result run(const Statement& statement) override;
  Database& database() override { return *db_; }

  // Rolls back without throwing; a connection that cannot roll back is discarded.
  void abandon() noexcept;

 private:
  Transaction(Transaction& parent, std::string savepoint);
  Result control(const std::string& sql);
  Lease& lease();

  Database* db_;
  Lease lease_;                    // the root's connection; empty when nested
  Transaction* parent_ = nullptr;  // set when nested
  std::string savepoint_;
  std::uint32_t savepoints_ = 0;
  bool open_ = false;
};

// Runs fn inside tx: commit when it returns, abandon and rethrow when it throws.
template <typename F>
decltype(auto) run_managed(Transaction tx, F&& fn) {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F, Transaction&>>) {
      std::forward<F>(fn)(tx);
      tx.commit();
    } else {
      auto result = std::forward<F>(fn)(tx);
      tx.commit();
      return result;
    }
  } catch (...) {
    tx.abandon();
    throw;
  }
}

template <typename F>
decltype(auto) Transaction::transaction(F&& fn) {
  return run_managed(savepoint(), std::forward<F>(fn));
}

}  // namespace pgtally::orm
