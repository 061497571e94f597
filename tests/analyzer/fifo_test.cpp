#include "analyzer/fifo.hpp"

#include <cstddef>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pgtally::analyzer {
namespace {

std::vector<std::string> contents(const Fifo<std::string>& fifo) {
  return {fifo.begin(), fifo.end()};
}

TEST(Fifo, AnEmptyQueueHoldsNoStorage) {
  const Fifo<std::string> fifo;
  EXPECT_TRUE(fifo.empty());
  EXPECT_EQ(fifo.size(), 0U);
  EXPECT_EQ(fifo.capacity(), 0U);
}

TEST(Fifo, PopsInTheOrderPushed) {
  Fifo<std::string> fifo;
  fifo.push_back("a");
  fifo.emplace_back(2, 'b');
  fifo.push_back("c");
  EXPECT_EQ(fifo.front(), "a");
  EXPECT_EQ(fifo.back(), "c");
  fifo.pop_front();
  EXPECT_EQ(contents(fifo), (std::vector<std::string>{"bb", "c"}));
  fifo.back() = "d";
  EXPECT_EQ(contents(fifo), (std::vector<std::string>{"bb", "d"}));
  fifo.pop_front();
  fifo.pop_front();
  EXPECT_TRUE(fifo.empty());
  fifo.push_back("e");
  EXPECT_EQ(contents(fifo), (std::vector<std::string>{"e"}));
  fifo.clear();
  EXPECT_TRUE(fifo.empty());
}

// Random pushes and pops, checked against std::deque after every step.
TEST(Fifo, MatchesADequeUnderAnyMixOfPushesAndPops) {
  std::mt19937 random(7);  // fixed seed: the same sequence every run
  Fifo<std::string> fifo;
  std::deque<std::string> reference;
  for (int step = 0; step < 20000; ++step) {
    // Phases that grow the queue, then drain it, so compaction runs at many sizes.
    const bool growing = (step / 1000) % 2 == 0;
    const bool heads = random() % 4 != 0;  // three times in four
    const bool push = reference.empty() || (growing ? heads : !heads);
    if (push) {
      const auto item = std::to_string(step);
      fifo.push_back(item);
      reference.push_back(item);
    } else {
      ASSERT_EQ(fifo.front(), reference.front()) << "step " << step;
      fifo.pop_front();
      reference.pop_front();
    }
    ASSERT_EQ(fifo.size(), reference.size()) << "step " << step;
    if (!reference.empty()) {
      ASSERT_EQ(fifo.back(), reference.back()) << "step " << step;
    }
  }
  EXPECT_EQ(contents(fifo), std::vector<std::string>(reference.begin(), reference.end()));
}

TEST(Fifo, StorageStaysBoundedWhenTheQueueRunsForever) {
  Fifo<int> fifo;
  constexpr std::size_t kLive = 10;
  for (int i = 0; i < 100000; ++i) {
    fifo.push_back(i);
    if (fifo.size() > kLive) fifo.pop_front();
  }
  EXPECT_EQ(fifo.size(), kLive);
  EXPECT_EQ(fifo.front(), 100000 - static_cast<int>(kLive));
  EXPECT_LE(fifo.capacity(), 4 * (kLive + 1));
}

}  // namespace
}  // namespace pgtally::analyzer
