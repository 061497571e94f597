// The running proxy: its event-loop threads, its listeners and the shared state. main() owns
// one; tests start one in process on port 0. Thread-safe entry points: reload and shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "proxy/asio.hpp"
#include "proxy/config.hpp"
#include "proxy/observer.hpp"
#include "proxy/worker.hpp"

namespace pgtally {

class Listener;

class Proxy {
 public:
  explicit Proxy(Config config, std::shared_ptr<ObserverFactory> observers = nullptr);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;
  Proxy(Proxy&&) = delete;
  Proxy& operator=(Proxy&&) = delete;

  // Binds every listener and starts the threads; throws std::runtime_error naming the address
  // that could not be bound.
  void start();

  // Where TCP clients can connect (ports resolved when the config said 0).
  [[nodiscard]] std::vector<asio::ip::tcp::endpoint> tcp_endpoints() const;

  // Applies a new config to new sessions; listeners and threads stay as they are.
  void reload(Config config);

  // Stops accepting, lets sessions finish until `drain` passes, then ends the rest (57P01)
  // and joins the threads. Idempotent.
  void shutdown(std::chrono::milliseconds drain);

  [[nodiscard]] SharedState& shared() { return shared_; }
  [[nodiscard]] const ProxyCounters& shared_counters() const { return shared_.counters; }
  [[nodiscard]] const Config& config() const { return *config_; }
  [[nodiscard]] std::uint32_t clients() const { return shared_.clients.load(); }
  // Listening (started and not shutting down); any thread may ask.
  [[nodiscard]] bool accepting() const { return accepting_.load(); }
  // Bytes relayed by all threads so far (read while they run: may lag by a few writes).
  [[nodiscard]] std::uint64_t relayed_to_server() const;
  [[nodiscard]] std::uint64_t relayed_to_client() const;

 private:
  friend class Listener;
  Worker& next_worker();
  awaitable<void> release_freed_memory();
  template <typename Fn>
  void run_on(Worker& worker, Fn&& fn);

  std::shared_ptr<const Config> config_;
  SharedState shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_worker_{0};
  bool started_ = false;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> accepting_{false};
};

}  // namespace pgtally
