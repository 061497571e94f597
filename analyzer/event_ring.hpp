// A bounded single-producer / single-consumer ring of analyzer events: one per relay thread,
// drained by the analyzer thread. try_push never blocks or allocates a slot; a full ring drops
// the event and counts the drop by reason. Lock-free (two atomics, acquire/release).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include "analyzer/event.hpp"

namespace pgtally::analyzer {

enum class DropReason : std::uint8_t {
  ring_full,  // the analyzer thread fell behind
  stopped,    // the analyzer is not running
  producer,   // the producer gave up on the event (e.g. over its own size cap)
};

template <typename T>
class SpscRing {
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit SpscRing(std::size_t capacity) {
    std::size_t n = 2;
    while (n < capacity)
      n <<= 1U;
    mask_ = n - 1;
    slots_ = std::make_unique<T[]>(n);
  }

  // Producer thread only. False (and the drop counted) when full.
  bool try_push(T&& item) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ > mask_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ > mask_) {
        count_drop(DropReason::ring_full);
        return false;
      }
    }
    slots_[head & mask_] = std::move(item);
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Consumer thread only.
  std::optional<T> try_pop() {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_cache_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail == head_cache_) return std::nullopt;
    }
    std::optional<T> out(std::move(slots_[tail & mask_]));
    slots_[tail & mask_] = T{};
    tail_.store(tail + 1, std::memory_order_release);
    return out;
  }

  void count_drop(DropReason reason) {
    drops_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t drops(DropReason reason) const {
    return drops_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t capacity() const { return mask_ + 1; }
  [[nodiscard]] std::size_t size_approx() const {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  static constexpr std::size_t kLine = 64;
  alignas(kLine) std::atomic<std::size_t> head_{0};
  std::size_t tail_cache_ = 0;  // producer's view of tail_
  alignas(kLine) std::atomic<std::size_t> tail_{0};
  std::size_t head_cache_ = 0;  // consumer's view of head_
  alignas(kLine) std::atomic<std::uint64_t> drops_[3] = {};
  std::size_t mask_ = 0;
  std::unique_ptr<T[]> slots_;
};

using EventRing = SpscRing<Event>;

}  // namespace pgtally::analyzer
