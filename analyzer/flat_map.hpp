// An open-addressing map from 64-bit keys to 64-bit values for the analyzer's per-value paths
// (causal links index every sampled value of every untagged statement): one flat array, linear
// probing, no node per entry, so an insert or a lookup is a cache line or two and no allocation.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pgtally::analyzer {

class FlatMap {
 public:
  explicit FlatMap(std::size_t capacity = 16) {
    slots_.resize(std::bit_ceil(std::max<std::size_t>(capacity, 16)));
  }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return slots_.size(); }

  [[nodiscard]] std::uint64_t* find(std::uint64_t key) {
    const std::uint64_t k = stored(key);
    for (std::size_t i = home(k);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.key == k) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }

  // Brings `key`'s first slot toward the cache ahead of a find or insert: a batch of keys
  // prefetched first waits for memory once, not once per key.
  void prefetch(std::uint64_t key) const { __builtin_prefetch(&slots_[home(stored(key))]); }

  // The value under `key`, inserted as `value` if absent; and whether it was inserted.
  std::pair<std::uint64_t*, bool> try_emplace(std::uint64_t key, std::uint64_t value) {
    if (4 * (size_ + 1) > 3 * slots_.size()) rehash(2 * slots_.size());
    const std::uint64_t k = stored(key);
    for (std::size_t i = home(k);; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.key == k) return {&s.value, false};
      if (s.key == kEmpty) {
        s = Slot{k, value};
        ++size_;
        return {&s.value, true};
      }
    }
  }

  // Empties the map and keeps its storage.
  void clear() {
    if (size_ == 0) return;
    for (Slot& s : slots_)
      s.key = kEmpty;
    size_ = 0;
  }

  // Drops every entry whose value `gone` rejects (no tombstones: the rest are placed anew).
  template <typename Gone>
  void erase_if(Gone&& gone) {
    std::vector<Slot> old(slots_.size());
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != kEmpty && !gone(s.value)) place(s);
    }
  }

 private:
  struct Slot {
    std::uint64_t key = kEmpty;
    std::uint64_t value = 0;
  };
  static constexpr std::uint64_t kEmpty = 0;

  // Key 0 marks an empty slot: it is stored as another key that no caller's hash is likelier
  // to produce than any other.
  static std::uint64_t stored(std::uint64_t key) {
    return key == kEmpty ? 0x9e3779b97f4a7c15ULL : key;
  }
  [[nodiscard]] std::size_t mask() const { return slots_.size() - 1; }
  // Keys are hashes already; the multiply spreads any that are not over the high bits used.
  [[nodiscard]] std::size_t home(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9e3779b97f4a7c15ULL) >> 32U) & mask();
  }
  void place(const Slot& slot) {
    for (std::size_t i = home(slot.key);; i = (i + 1) & mask()) {
      if (slots_[i].key == kEmpty) {
        slots_[i] = slot;
        ++size_;
        return;
      }
    }
  }
  void rehash(std::size_t capacity) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key != kEmpty) place(s);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace pgtally::analyzer
