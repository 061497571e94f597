#include "orm/database.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "orm/errors.hpp"

namespace pgtally::orm {
namespace {

using analyzer::Clock;

bool production_from_env() {
  const char* env = std::getenv("PGTALLY_ENV");  // NOLINT(concurrency-mt-unsafe): read at start-up
  return env != nullptr && std::string_view(env) == "production";
}

std::string trim_statement_end(std::string sql) {
  while (!sql.empty() && (sql.back() == ';' || sql.back() == ' ' || sql.back() == '\n' ||
                          sql.back() == '\t' || sql.back() == '\r')) {
    sql.pop_back();
  }
  return sql;
}

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer
  x ^= x >> 30U;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27U;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31U;
  return x;
}

}  // namespace

Config Config::from_url(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string why = error == nullptr ? "out of memory" : error;
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    throw UsageError(fmt::format("the database URL cannot be parsed: {}", why));
  }
  PQconninfoFree(options);
  Config config;
  config.conninfo = url;
  config.production = production_from_env();
  return config;
}

Config Config::from_env() {
  const char* url = std::getenv("DATABASE_URL");  // NOLINT(concurrency-mt-unsafe)
  Config config = url != nullptr && url[0] != '\0' ? from_url(url) : Config{};
  config.production = production_from_env();
  return config;
}

std::string Config::redacted() const {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return "(unparsable connection string)";
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    if (std::string_view(o->keyword) == "password") {
      out += "password=*** ";
      continue;
    }
    out += fmt::format("{}={} ", o->keyword, o->val);
  }
  PQconninfoFree(options);
  if (!out.empty()) out.pop_back();
  return out.empty() ? "(from the PG* environment)" : out;
}

Database::Database(Config config) : config_(std::move(config)) {
  std::random_device random;
  hash_key_ = (static_cast<std::uint64_t>(random()) << 32U) ^ random();
  PQconninfoOption* options = PQconninfoParse(config_.conninfo.c_str(), nullptr);
  if (options != nullptr) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (o->val == nullptr) continue;
      const std::string_view key(o->keyword);
      if (key == "user") group_.user = o->val;
      if (key == "dbname") group_.database = o->val;
      if (key == "host") group_.client_address = o->val;
      if (key == "application_name") group_.application_name = o->val;
    }
    PQconninfoFree(options);
  }
  if (group_.application_name.empty()) group_.application_name = config_.application_name;
  pool_ = std::make_unique<Pool>(config_.conninfo, config_.application_name, config_.pool,
                                 [this](const PoolEvent& event) { on_pool_event(event); });
}

Database::~Database() {
  pool_.reset();
}

const Associations& Database::associations() const {
  if (config_.associations == nullptr) {
    throw UsageError(
        "this Database has no association registry: set Config::associations to the "
        "application's validated orm::Associations before using includes or related()");
  }
  return *config_.associations;
}

Result Database::run(const Statement& statement) {
  Lease lease = pool_->acquire();
  return execute_on(lease, statement);
}

Transaction Database::begin(TransactionOptions options) {
  return Transaction(*this, pool_->acquire(), options);
}

Subscription Database::on_query(Listeners<QueryLog>::Callback callback) {
  return query_listeners_.add(std::move(callback));
}
Subscription Database::on_pool(Listeners<PoolEvent>::Callback callback) {
  return pool_listeners_.add(std::move(callback));
}
Subscription Database::on_event(Listeners<analyzer::Event>::Callback callback) {
  return event_listeners_.add(std::move(callback));
}

std::uint64_t Database::hash_value(const Param& value) const {
  if (!value) return 0;
  std::uint64_t h = 0xcbf29ce484222325ULL ^ hash_key_;  // FNV-1a, keyed, then mixed
  for (const char c : *value) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  const std::uint64_t out = mix(h ^ hash_key_);
  return out == 0 ? 1 : out;
}

Result Database::execute_on(Lease& lease, const Statement& statement, bool control) {
  Tags tags;
  if (!control) {
    if (const RequestContext* context = RequestScope::current()) tags = context->tags();
    if (auto waited = lease.take_wait()) {
      tags.emplace_back("db_pool_wait_ms", std::to_string(waited->count()));
    }
  }
  const std::string sent =
      tags.empty() ? statement.sql
                   : trim_statement_end(statement.sql) + " " + sqlcommenter_comment(tags);
  const auto start = Clock::now();
  try {
    Result result = lease->exec(sent, statement.params);
    const std::uint64_t rows =
        result.columns() > 0 ? static_cast<std::uint64_t>(result.rows()) : result.affected();
    report(lease, sent, statement, tags, start, rows, {}, control);
    return result;
  } catch (const ConnectionError& e) {
    lease.discard();
    report(lease, sent, statement, tags, start, 0, e.code(), control);
    throw;
  } catch (const Error& e) {
    report(lease, sent, statement, tags, start, 0, e.code(), control);
    throw;
  }
}

void Database::report(const Lease& lease, const std::string& sent, const Statement& statement,
                      const Tags& tags, analyzer::TimePoint start, std::uint64_t rows,
                      const std::string& sqlstate, bool control) {
  const bool want_log = !query_listeners_.empty();
  const bool want_event = !event_listeners_.empty();
  if (!want_log && !want_event) return;
  const auto end = Clock::now();
  std::vector<std::uint64_t> hashes;
  hashes.reserve(statement.params.size());
  for (const auto& p : statement.params)
    hashes.push_back(hash_value(p));
  if (want_log) {
    QueryLog log;
    log.sql = sent;
    log.statement = statement.sql;
    log.parameter_hashes = hashes;
    log.duration = std::chrono::duration_cast<std::chrono::microseconds>(end - start);
    log.rows = rows;
    log.sqlstate = sqlstate;
    log.tags = tags;
    log.connection = lease->id();
    log.transaction_control = control;
    query_listeners_.emit(log);
  }
  if (want_event) {
    analyzer::QueryEvent event;
    event.connection = lease->id();
    event.source = analyzer::Source::orm;
    event.protocol = analyzer::Protocol::extended;
    event.text = sent;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      analyzer::Parameter p;
      p.is_null = !statement.params[i].has_value();
      p.hash = hashes[i];
      event.parameters.push_back(p);
    }
    event.tags = tags;
    event.start = start;
    event.end = end;
    event.rows = rows;
    if (!sqlstate.empty()) event.error = analyzer::ServerError{sqlstate, "ERROR", {}, {}, {}};
    event_listeners_.emit(analyzer::Event(std::move(event)));
  }
}

void Database::on_pool_event(const PoolEvent& event) {
  pool_listeners_.emit(event);
  if (event_listeners_.empty()) return;
  const auto now = Clock::now();
  switch (event.kind) {
    case PoolEvent::Kind::opened:
      event_listeners_.emit(analyzer::Event(analyzer::ConnectionOpened{
          event.connection, event.backend_pid, group_, analyzer::Source::orm, now}));
      break;
    case PoolEvent::Kind::closed:
      event_listeners_.emit(analyzer::Event(analyzer::ConnectionClosed{
          event.connection,
          event.broken ? analyzer::CloseReason::server_closed : analyzer::CloseReason::shutdown,
          now}));
      break;
    case PoolEvent::Kind::acquired:
    case PoolEvent::Kind::timed_out:
      if (event.had_to_wait) {
        const RequestContext* context = RequestScope::current();
        event_listeners_.emit(analyzer::Event(analyzer::PoolWait{
            group_, context == nullptr ? std::string() : context->request_id, event.waited,
            event.stats.in_use, event.stats.waiting, event.stats.max, now}));
      }
      break;
    case PoolEvent::Kind::released:
      break;
  }
}

}  // namespace pgtally::orm
