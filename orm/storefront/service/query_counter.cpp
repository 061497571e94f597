#include "orm/storefront/service/query_counter.hpp"

namespace pgtally::storefront {

QueryCounter::QueryCounter(orm::Database& db)
    : subscription_(db.on_query([this](const orm::QueryLog& log) { on_query(log); })) {}

void QueryCounter::on_query(const orm::QueryLog& log) {
  if (log.transaction_control) return;
  const std::lock_guard lock(mutex_);
  auto it = counts_.find(std::this_thread::get_id());
  if (it != counts_.end()) ++it->second;
}

QueryCounter::Tally::Tally(QueryCounter& counter)
    : counter_(&counter), thread_(std::this_thread::get_id()) {
  const std::lock_guard lock(counter_->mutex_);
  counter_->counts_[thread_] = 0;
}

QueryCounter::Tally::~Tally() {
  const std::lock_guard lock(counter_->mutex_);
  counter_->counts_.erase(thread_);
}

std::size_t QueryCounter::Tally::count() const {
  const std::lock_guard lock(counter_->mutex_);
  const auto it = counter_->counts_.find(thread_);
  return it == counter_->counts_.end() ? 0 : it->second;
}

}  // namespace pgtally::storefront
