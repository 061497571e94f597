// Which backend keys belong to live sessions, so a CancelRequest from a client is forwarded
// only for a key pgtally relayed. Touched at session start and end and per cancel: never on
// the relay path, so a mutex is fine.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <utility>

namespace pgtally {

class CancelRegistry {
 public:
  void add(std::int32_t pid, std::int32_t key);
  void remove(std::int32_t pid, std::int32_t key);
  [[nodiscard]] bool contains(std::int32_t pid, std::int32_t key) const;

 private:
  mutable std::mutex mutex_;
  std::set<std::pair<std::int32_t, std::int32_t>> keys_;
};

}  // namespace pgtally
