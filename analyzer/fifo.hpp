// A first-in first-out queue for per-connection state. Unlike libstdc++'s std::deque, which
// allocates a map and a 512-byte block as soon as it is constructed, an empty Fifo holds no
// memory: with a thousand idle connections that is a kilobyte each. Amortised O(1) at both ends.
// A popped item is destroyed when the queue empties or compacts, not at pop_front: move it out
// first when it holds much.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace pgtally::analyzer {

template <typename T>
class Fifo {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  [[nodiscard]] bool empty() const { return head_ == items_.size(); }
  [[nodiscard]] std::size_t size() const { return items_.size() - head_; }
  // Items the storage holds room for, popped ones included: bounded by a few times the most
  // ever queued at once, however long the queue runs.
  [[nodiscard]] std::size_t capacity() const { return items_.capacity(); }

  T& front() { return items_[head_]; }
  [[nodiscard]] const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  [[nodiscard]] const T& back() const { return items_.back(); }

  void push_back(T item) { emplace_back(std::move(item)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    compact();
    return items_.emplace_back(std::forward<Args>(args)...);
  }

  void pop_front() {
    ++head_;
    if (empty()) clear();  // keeps the capacity for the next item
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

  [[nodiscard]] iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  [[nodiscard]] iterator end() { return items_.end(); }
  [[nodiscard]] const_iterator begin() const {
    return items_.begin() + static_cast<std::ptrdiff_t>(head_);
  }
  [[nodiscard]] const_iterator end() const { return items_.end(); }

 private:
  // Drops the popped prefix once it is at least half the storage, before the vector would grow.
  void compact() {
    if (head_ == 0 || items_.size() < items_.capacity() || head_ * 2 < items_.size()) return;
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace pgtally::analyzer
