#include "proxy/proxy.hpp"

#include <malloc.h>

#include <future>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "proxy/event_loop.hpp"
#include "proxy/listener.hpp"
#include "proxy/session.hpp"

namespace pgtally {
namespace {
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kDrainPoll{20};
constexpr std::chrono::milliseconds kTerminateGrace{std::chrono::seconds(3)};
constexpr std::chrono::milliseconds kTrimInterval{std::chrono::seconds(2)};
}  // namespace

Proxy::Proxy(Config config, std::shared_ptr<ObserverFactory> observers)
    : config_(std::make_shared<const Config>(std::move(config))) {
  if (auto error = validate(*config_)) throw std::runtime_error(error->message);
  shared_.tls = make_tls_contexts(*config_);
  shared_.observers = std::move(observers);
  for (unsigned i = 0; i < config_->threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, shared_, config_));
  }
}

Proxy::~Proxy() {
  shutdown(std::chrono::milliseconds(0));
}

template <typename Fn>
void Proxy::run_on(Worker& worker, Fn&& fn) {
  std::promise<void> done;
  asio::post(worker.context(), [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

Worker& Proxy::next_worker() {
  const auto i = next_worker_.fetch_add(1, std::memory_order_relaxed);
  return *workers_[i % workers_.size()];
}

void Proxy::start() {
  if (started_) return;
  auto& context = workers_.front()->context();
  for (const auto& address : config_->listen) {
    listeners_.push_back(std::make_unique<Listener>(*this, context, address));
  }
  if (!config_->unix_socket_dir.empty()) {
    const auto path = std::filesystem::path(config_->unix_socket_dir) /
                      fmt::format(".s.PGSQL.{}", config_->unix_socket_port);
    listeners_.push_back(std::make_unique<Listener>(*this, context, path));
  }
  for (auto& listener : listeners_)
    listener->start();
  if (config_->client_tls() && config_->server_tls != ServerTls::disable) {
    spdlog::warn(
        "event=tls_both_legs note=\"SCRAM channel binding cannot span two TLS sessions: "
        "clients that authenticate with SCRAM over TLS must set channel_binding=disable, "
        "unless pgtally presents the server's own certificate\"");
  }
  for (auto& worker : workers_) {
    guards_.push_back(asio::make_work_guard(worker->context()));
    threads_.emplace_back([&context = worker->context(), busy_poll = config_->busy_poll] {
      run_event_loop(context, busy_poll);
    });
  }
  started_ = true;
  accepting_.store(true);
  asio::co_spawn(context, release_freed_memory(), asio::detached);
  for (const auto& endpoint : tcp_endpoints()) {
    spdlog::info("event=listening address={}:{} upstream={} threads={}",
                 endpoint.address().to_string(), endpoint.port(), config_->upstream,
                 config_->threads);
  }
}

std::vector<asio::ip::tcp::endpoint> Proxy::tcp_endpoints() const {
  std::vector<asio::ip::tcp::endpoint> endpoints;
  for (const auto& listener : listeners_) {
    if (auto endpoint = listener->tcp_endpoint()) endpoints.push_back(*endpoint);
  }
  return endpoints;
}

// A burst of connections leaves freed startup state (coroutine frames, packets) inside malloc's
// arenas; handing it back keeps RSS at what live sessions hold, as in PgBouncer's own slabs.
awaitable<void> Proxy::release_freed_memory() {
  asio::steady_timer timer(workers_.front()->context());
  boost::system::error_code ec;
  while (!stopped_) {
    timer.expires_after(kTrimInterval);
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    ::malloc_trim(0);
  }
}

void Proxy::reload(Config config) {
  if (auto error = validate(config)) {
    spdlog::error("event=reload_refused error=\"{}\"", error->message);
    return;
  }
  if (config.listen != config_->listen || config.unix_socket_dir != config_->unix_socket_dir ||
      config.threads != config_->threads) {
    spdlog::warn("event=reload note=\"listen, unix_socket_dir and threads change on restart\"");
  }
  auto next = std::make_shared<const Config>(std::move(config));
  config_ = next;
  if (!started_ || stopped_) return;
  for (auto& worker : workers_) {
    asio::post(worker->context(), [w = worker.get(), next] { w->set_config(next); });
  }
  spdlog::info("event=reloaded max_client_conn={} upstream={}", next->max_client_conn,
               next->upstream);
}

void Proxy::shutdown(std::chrono::milliseconds drain) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  accepting_.store(false);
  run_on(*workers_.front(), [this] {
    for (auto& listener : listeners_)
      listener->close();
  });
  spdlog::info("event=shutdown_started clients={} drain_ms={}", clients(), drain.count());
  const auto deadline = Clock::now() + drain;
  while (clients() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(kDrainPoll);
  for (auto& worker : workers_) {
    run_on(*worker, [&worker] {
      // Copy: terminating may end a session and remove it from the set.
      const auto sessions = worker->sessions();
      for (Session* session : sessions)
        session->terminate();
    });
  }
  const auto grace = Clock::now() + kTerminateGrace;
  while (clients() > 0 && Clock::now() < grace)
    std::this_thread::sleep_for(kDrainPoll);
  guards_.clear();
  for (auto& worker : workers_)
    worker->context().stop();
  for (auto& thread : threads_)
    thread.join();
  threads_.clear();
  listeners_.clear();
  spdlog::info("event=shutdown_done clients_left={}", clients());
}

std::uint64_t Proxy::relayed_to_server() const {
  std::uint64_t total = 0;
  for (const auto& w : workers_)
    total += w->relayed().to_server.load(std::memory_order_relaxed);
  return total;
}

std::uint64_t Proxy::relayed_to_client() const {
  std::uint64_t total = 0;
  for (const auto& w : workers_)
    total += w->relayed().to_client.load(std::memory_order_relaxed);
  return total;
}

}  // namespace pgtally
