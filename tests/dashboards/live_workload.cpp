#include "tests/dashboards/live_workload.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "orm/storefront/service/http_client.hpp"

namespace pgtally::testing {
namespace {

using PgConnection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

constexpr std::size_t kSamplesKept = 5;

PgConnection open(const std::string& conninfo) {
  return {PQconnectdb(conninfo.c_str()), &PQfinish};
}

PgConnection open_ok(const std::string& conninfo) {
  auto conn = open(conninfo);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(
        fmt::format("cannot hold a connection ({}): {}", conninfo, PQerrorMessage(conn.get())));
  }
  return conn;
}

bool contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

struct LiveWorkload::Held {
  PgConnection limited_role;
  PgConnection client_limit;
};

LiveWorkload::LiveWorkload(LiveWorkloadOptions options) : options_(std::move(options)) {
  held_ = std::make_unique<Held>(
      Held{open_ok(options_.limited_role_conninfo), open_ok(options_.client_limit_conninfo)});
  load_ = std::thread([this] { load_loop(); });
  traps_ = std::thread([this] { trap_loop(); });
}

LiveWorkload::~LiveWorkload() {
  stop();
}

void LiveWorkload::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (load_.joinable()) load_.join();
  if (traps_.joinable()) traps_.join();
  held_.reset();
}

LiveTally LiveWorkload::tally() const {
  const std::lock_guard lock(mutex_);
  return tally_;
}

void LiveWorkload::note(std::string what) {
  const std::lock_guard lock(mutex_);
  if (tally_.unexpected.size() < kSamplesKept) tally_.unexpected.push_back(std::move(what));
}

void LiveWorkload::load_loop() {
  for (unsigned round = 0;; ++round) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    storefront::LoadOptions load;
    load.target = options_.service;
    load.mix = options_.mix;
    load.concurrency = options_.concurrency;
    load.duration = options_.load_round;
    load.request_id_prefix = fmt::format("live{}", round);
    const auto summary = storefront::run_load(load);
    const std::lock_guard lock(mutex_);
    tally_.load_requests += summary.requests;
    tally_.load_errors += summary.errors;
    for (const auto& sample : summary.error_samples) {
      if (tally_.load_error_samples.size() < kSamplesKept) {
        tally_.load_error_samples.push_back(sample);
      }
    }
  }
}

void LiveWorkload::trap_loop() {
  storefront::HttpClient client(options_.service);
  for (unsigned round = 0;; ++round) {
    trap_round();
    const auto reply = client.get("/report", fmt::format("live-report-{}", round));
    if (reply.reached && reply.status == 200) {
      const std::lock_guard lock(mutex_);
      ++tally_.reports;
    } else {
      note(fmt::format("/report: status {} {}", reply.status, reply.error));
    }
    // Paces the traps; stop() wakes it at once.
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, options_.trap_every, [this] { return stopping_; })) return;
  }
}

void LiveWorkload::trap_round() {
  // The server's own limit: the role's one connection is held, so this one gets 53300.
  const auto second = open(options_.limited_role_conninfo);
  const std::string server_error = PQerrorMessage(second.get());
  if (PQstatus(second.get()) != CONNECTION_BAD ||
      !contains(server_error, "too many connections for role")) {
    note("a second connection of the limited role was not refused by the server: " + server_error);
  } else {
    const std::lock_guard lock(mutex_);
    ++tally_.server_refusals;
  }
  // pgtally's max_client_conn of 1 is taken by the held client.
  const auto extra = open(options_.client_limit_conninfo);
  const std::string pgtally_error = PQerrorMessage(extra.get());
  if (PQstatus(extra.get()) != CONNECTION_BAD || !contains(pgtally_error, "max_client_conn")) {
    note("a second client was not refused by pgtally's max_client_conn: " + pgtally_error);
  } else {
    const std::lock_guard lock(mutex_);
    ++tally_.pgtally_refusals;
  }
}

}  // namespace pgtally::testing
