#include "proxy/cancel_registry.hpp"

namespace pgtally {

void CancelRegistry::add(std::int32_t pid, std::int32_t key) {
  const std::lock_guard lock(mutex_);
  keys_.emplace(pid, key);
}

void CancelRegistry::remove(std::int32_t pid, std::int32_t key) {
  const std::lock_guard lock(mutex_);
  keys_.erase({pid, key});
}

bool CancelRegistry::contains(std::int32_t pid, std::int32_t key) const {
  const std::lock_guard lock(mutex_);
  return keys_.contains({pid, key});
}

}  // namespace pgtally
