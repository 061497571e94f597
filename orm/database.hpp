// The one Database object an application creates (from a URL or the environment) and passes
// to whoever needs it: it owns the pool, the hook registries and the production flag, and runs
// every statement (bound parameters, sqlcommenter tags, logging hook, analyzer events).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <utility>

#include "analyzer/event.hpp"
#include "orm/executor.hpp"
#include "orm/hooks.hpp"
#include "orm/pool.hpp"
#include "orm/transaction.hpp"

namespace pgtally::orm {

class Associations;

struct Config {
  std::string conninfo;  // a postgres:// URI or key=value string; never logged
  bool production = false;
  std::string application_name = "pgtally-orm";  // used unless the URL names one
  PoolOptions pool;
  // The validated registry that includes and lazy accessors read (orm/associations.hpp); it
  // must outlive the Database. Null: the models have no associations.
  const Associations* associations = nullptr;

  // From a URL; production from PGTALLY_ENV. Throws UsageError when libpq cannot parse it.
  static Config from_url(const std::string& url);
  // DATABASE_URL when set, else libpq's own PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE;
  // production when PGTALLY_ENV=production.
  static Config from_env();
  // The connection target without the password, for logs and errors.
  [[nodiscard]] std::string redacted() const;
};

class Database final : public Executor {
 public:
  explicit Database(Config config);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;

  // Runs one statement on a pooled connection (returned before this returns).
  Result run(const Statement& statement) override;
  Database& database() override { return *this; }

  // Unmanaged: commit() or rollback() it; dropped open, it rolls back.
  Transaction begin(TransactionOptions options = {});
  // Managed: commits when fn returns, rolls back and rethrows when fn throws.
  template <typename F>
  decltype(auto) transaction(F&& fn, TransactionOptions options = {}) {
    return run_managed(begin(options), std::forward<F>(fn));
  }

  // Hooks. A subscription ends when its handle is dropped; callbacks run on the querying
  // thread and must not throw.
  Subscription on_query(Listeners<QueryLog>::Callback callback);
  Subscription on_pool(Listeners<PoolEvent>::Callback callback);
  Subscription on_event(Listeners<analyzer::Event>::Callback callback);
  template <typename M>
  ModelHooks<M>& hooks();

  [[nodiscard]] bool production() const { return config_.production; }
  // The association registry; throws UsageError when Config::associations was not set.
  [[nodiscard]] const Associations& associations() const;
  [[nodiscard]] const Config& config() const { return config_; }
  Pool& pool() { return *pool_; }

  // The statement path every executor shares. control marks BEGIN/COMMIT/SAVEPOINT: those
  // are sent without the sqlcommenter comment, as other ORMs do.
  Result execute_on(Lease& lease, const Statement& statement, bool control = false);
  Lease acquire() { return pool_->acquire(); }
  // Keyed hash of a parameter's text form (0 for NULL), as in QueryLog and analyzer events.
  [[nodiscard]] std::uint64_t hash_value(const Param& value) const;

 private:
  void on_pool_event(const PoolEvent& event);
  void report(const Lease& lease, const std::string& sent, const Statement& statement,
              const Tags& tags, analyzer::TimePoint start, std::uint64_t rows,
              const std::string& sqlstate, bool control);

  Config config_;
  std::uint64_t hash_key_;
  analyzer::ClientGroup group_;
  Listeners<QueryLog> query_listeners_;
  Listeners<PoolEvent> pool_listeners_;
  Listeners<analyzer::Event> event_listeners_;
  std::mutex hooks_mutex_;
  std::map<std::type_index, std::shared_ptr<void>> model_hooks_;
  std::unique_ptr<Pool> pool_;  // last: destroyed first, while the listeners still exist
};

template <typename M>
ModelHooks<M>& Database::hooks() {
  const std::lock_guard lock(hooks_mutex_);
  auto& slot = model_hooks_[std::type_index(typeid(M))];
  if (!slot) slot = std::make_shared<ModelHooks<M>>();
  return *static_cast<ModelHooks<M>*>(slot.get());
}

}  // namespace pgtally::orm
