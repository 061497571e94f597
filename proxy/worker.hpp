// An event-loop thread's world: its io_context, its relay buffers and its sessions, plus the
// state every thread shares (read-mostly, atomics or locked off the relay path).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "proxy/asio.hpp"
#include "proxy/buffer_pool.hpp"
#include "proxy/cancel_registry.hpp"
#include "proxy/config.hpp"
#include "proxy/observer.hpp"
#include "proxy/tls.hpp"

namespace pgtally {

class Session;

// Counters the proxy keeps about itself (exported later as metrics).
struct ProxyCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused_client_limit{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> upstream_failures{0};
  std::atomic<std::uint64_t> startup_timeouts{0};
  std::atomic<std::uint64_t> cancels_forwarded{0};
  std::atomic<std::uint64_t> cancels_on_disconnect{0};
};

// Bytes one event-loop thread relayed after startup. Only that thread writes, so an add is a
// plain load and store (no locked instruction on the relay path); readers may be a little late.
struct RelayedBytes {
  std::atomic<std::uint64_t> to_server{0};
  std::atomic<std::uint64_t> to_client{0};
  static void add(std::atomic<std::uint64_t>& counter, std::size_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

struct SharedState {
  CancelRegistry cancels;
  TlsContexts tls;
  std::shared_ptr<ObserverFactory> observers;  // null: no analysis
  std::atomic<std::uint32_t> clients{0};
  std::atomic<std::uint64_t> next_connection{1};
  ProxyCounters counters;
};

class Worker {
 public:
  Worker(std::size_t index, SharedState& shared, std::shared_ptr<const Config> config)
      : index_(index), shared_(shared), config_(std::move(config)) {}

  [[nodiscard]] std::size_t index() const { return index_; }
  asio::io_context& context() { return context_; }
  BufferPool& buffers() { return buffers_; }
  RelayedBytes& relayed() { return relayed_; }
  [[nodiscard]] const RelayedBytes& relayed() const { return relayed_; }
  SharedState& shared() { return shared_; }
  // Only from this worker's thread; replaced by a post on reload.
  [[nodiscard]] const std::shared_ptr<const Config>& config() const { return config_; }
  void set_config(std::shared_ptr<const Config> config) { config_ = std::move(config); }

  void add(Session* session) { sessions_.insert(session); }
  void remove(Session* session) { sessions_.erase(session); }
  [[nodiscard]] const std::unordered_set<Session*>& sessions() const { return sessions_; }

 private:
  std::size_t index_;
  BufferPool buffers_;
  RelayedBytes relayed_;
  SharedState& shared_;
  std::shared_ptr<const Config> config_;
  std::unordered_set<Session*> sessions_;
  // Last, so it is destroyed first: pending sessions it destroys still find the rest intact.
  asio::io_context context_{1};
};

}  // namespace pgtally
