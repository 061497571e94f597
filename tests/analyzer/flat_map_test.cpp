#include "analyzer/flat_map.hpp"

#include <cstdint>
#include <optional>
#include <unordered_map>

#include <gtest/gtest.h>

namespace pgtally::analyzer {
namespace {

std::optional<std::uint64_t> value_of(FlatMap& map, std::uint64_t key) {
  const std::uint64_t* found = map.find(key);
  return found == nullptr ? std::nullopt : std::optional<std::uint64_t>(*found);
}

TEST(FlatMap, FindsWhatWasInsertedAndKeepsTheFirstValue) {
  FlatMap map;
  EXPECT_EQ(map.find(42), nullptr);
  EXPECT_TRUE(map.try_emplace(42, 7).second);
  EXPECT_EQ(value_of(map, 42), 7U);
  auto [again, added_again] = map.try_emplace(42, 9);
  EXPECT_FALSE(added_again);
  EXPECT_EQ(value_of(map, 42), 7U);
  *again = 11;
  EXPECT_EQ(value_of(map, 42), 11U);
  EXPECT_EQ(map.size(), 1U);
}

TEST(FlatMap, KeyZeroIsAKeyLikeAnyOther) {
  FlatMap map;
  EXPECT_EQ(map.find(0), nullptr);
  map.try_emplace(0, 5);
  EXPECT_EQ(value_of(map, 0), 5U);
  EXPECT_EQ(map.find(1), nullptr);
}

// Against std::unordered_map over many keys, through growth, erase_if and clear.
TEST(FlatMap, AgreesWithAStandardMapThroughGrowthAndErasure) {
  FlatMap map;
  std::unordered_map<std::uint64_t, std::uint64_t> truth;
  std::uint64_t x = 0x2545f4914f6cdd1dULL;
  auto next = [&x] {
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    return x;
  };
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const std::uint64_t key = next() % 5000 * 0x100000001ULL;  // repeats, and clustered bits
    map.try_emplace(key, i);
    truth.try_emplace(key, i);
  }
  EXPECT_EQ(map.size(), truth.size());
  EXPECT_GE(map.capacity(), 4 * map.size() / 3);
  map.erase_if([](std::uint64_t v) { return v % 2 == 0; });
  std::erase_if(truth, [](const auto& kv) { return kv.second % 2 == 0; });
  EXPECT_EQ(map.size(), truth.size());
  for (const auto& [key, value] : truth) {
    EXPECT_EQ(value_of(map, key), value) << key;
  }
  for (std::uint64_t key = 1; key < 100; ++key) {
    EXPECT_EQ(map.find(key) != nullptr, truth.contains(key)) << key;
  }
  map.clear();
  EXPECT_EQ(map.size(), 0U);
  EXPECT_EQ(map.find(truth.begin()->first), nullptr);
}

}  // namespace
}  // namespace pgtally::analyzer
