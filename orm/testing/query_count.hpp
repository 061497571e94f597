// Query counting for tests: a recorder fed by the Database's logging hook, and GoogleTest
// helpers that run a block and check how many statements it issued (exactly N, at most N) or
// that it has no N+1. On failure they print the block's queries grouped by fingerprint.
//   EXPECT_TRUE(orm::testing::issues_exactly(db, 2, [&] { load_order_page(db, 7); }));
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "orm/database.hpp"

namespace pgtally::orm::testing {

struct RecordedQuery {
  std::string sql;    // as sent, comment included
  std::string shape;  // normalized: comments gone, literals and $n as ?, IN lists collapsed
  std::vector<std::uint64_t> parameter_hashes;
  std::chrono::microseconds duration{0};
  std::uint64_t rows = 0;
  bool transaction_control = false;
};

// Comments stripped, string and number literals and $n turned into ?, IN (?, ?, ...) into
// IN (...), whitespace collapsed. A provisional stand-in for the analyzer's fingerprint.
std::string normalize_shape(std::string_view sql);

// Records every statement a Database runs while it lives (any thread).
class QueryRecorder {
 public:
  explicit QueryRecorder(Database& db);
  [[nodiscard]] std::vector<RecordedQuery> queries() const;
  // Statements other than BEGIN/COMMIT/ROLLBACK/SAVEPOINT.
  [[nodiscard]] std::size_t count() const;

 private:
  struct State {
    mutable std::mutex mutex;
    std::vector<RecordedQuery> queries;
  };
  std::shared_ptr<State> state_;
  Subscription subscription_;
};

struct Finding {
  std::string kind;  // "n_plus_one"
  std::string shape;
  std::size_t count = 0;
  std::size_t distinct_parameters = 0;
  std::string message;
};

// What the no-N+1 helper asks: findings for a block's queries.
class NPlusOneDetector {
 public:
  virtual ~NPlusOneDetector() = default;
  [[nodiscard]] virtual std::vector<Finding> detect(
      const std::vector<RecordedQuery>& queries) const = 0;

 protected:
  NPlusOneDetector() = default;
  NPlusOneDetector(const NPlusOneDetector&) = default;
  NPlusOneDetector& operator=(const NPlusOneDetector&) = default;
  NPlusOneDetector(NPlusOneDetector&&) = default;
  NPlusOneDetector& operator=(NPlusOneDetector&&) = default;
};

// The analyzer library's own N+1 detector, in process: the block's statements become one tagged
// request and the findings are exactly what pgtally's proxy would report for it.
class AnalyzerNPlusOneDetector final : public NPlusOneDetector {
 public:
  explicit AnalyzerNPlusOneDetector(std::uint32_t threshold = 5) : threshold_(threshold) {}
  [[nodiscard]] std::vector<Finding> detect(
      const std::vector<RecordedQuery>& queries) const override;

 private:
  std::uint32_t threshold_;
};

// A shape-only check (one SELECT shape run >= threshold times with >= 2 distinct parameter
// lists), for comparison with the analyzer's detector.
class ProvisionalNPlusOneDetector final : public NPlusOneDetector {
 public:
  explicit ProvisionalNPlusOneDetector(std::size_t threshold = 5) : threshold_(threshold) {}
  [[nodiscard]] std::vector<Finding> detect(
      const std::vector<RecordedQuery>& queries) const override;

 private:
  std::size_t threshold_;
};

// The queries grouped by shape, most frequent first, for failure messages.
std::string describe(const std::vector<RecordedQuery>& queries);

// Runs block and checks the number of statements it issued (transaction control excluded).
::testing::AssertionResult issues_exactly(Database& db, std::size_t expected,
                                          const std::function<void()>& block);
::testing::AssertionResult issues_at_most(Database& db, std::size_t limit,
                                          const std::function<void()>& block);
::testing::AssertionResult has_no_n_plus_one(
    Database& db, const std::function<void()>& block,
    const NPlusOneDetector& detector = AnalyzerNPlusOneDetector());

}  // namespace pgtally::orm::testing
