// Counts the statements each request sends, through the ORM's query hook, so every response can
// say how many queries it took ("queries": 21 for the lazy loop, 1 for its eager twin). A
// request's handler runs on one thread from start to end; the count is kept per thread while a
// Tally is open there. Transaction control (BEGIN, COMMIT) is not counted, as in
// orm/testing/query_count.hpp.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <thread>

#include "orm/database.hpp"
#include "orm/hooks.hpp"

namespace pgtally::storefront {

class QueryCounter {
 public:
  explicit QueryCounter(orm::Database& db);

  // Counts this thread's statements from construction to destruction.
  class Tally {
   public:
    explicit Tally(QueryCounter& counter);
    ~Tally();
    Tally(const Tally&) = delete;
    Tally& operator=(const Tally&) = delete;
    Tally(Tally&&) = delete;
    Tally& operator=(Tally&&) = delete;

    [[nodiscard]] std::size_t count() const;

   private:
    QueryCounter* counter_;
    std::thread::id thread_;
  };

 private:
  void on_query(const orm::QueryLog& log);

  mutable std::mutex mutex_;
  std::map<std::thread::id, std::size_t> counts_;
  orm::Subscription subscription_;  // last: unsubscribed before the map goes away
};

}  // namespace pgtally::storefront
