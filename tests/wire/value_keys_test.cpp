// The keys sampled from inside one result value: array elements and the ids in a json document.
#include "proxy/wire/value_keys.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace pgtally::wire {
namespace {

using Keys = std::vector<std::pair<std::string, std::uint16_t>>;

Keys json_keys(std::string_view text, bool whole = true, std::uint16_t most = 64) {
  Keys out;
  for_each_json_key(text, whole, most, [&](std::string_view key, std::uint16_t index) {
    out.emplace_back(std::string(key), index);
  });
  return out;
}

Keys array_elements(std::string_view text) {
  Keys out;
  for_each_array_element(text, [&](std::string_view element, std::uint16_t index) {
    out.emplace_back(std::string(element), index);
  });
  return out;
}

TEST(JsonKeys, IdsWhereverTheyStandAndNothingElse) {
  EXPECT_EQ(json_keys(R"({"related": [4, 9], "author": "7", "price": 1.5, "ok": true,)"
                      R"( "name": "x", "big": 12e3, "owner": {"id": -3}})"),
            (Keys{{"4", 1}, {"9", 2}, {"7", 3}, {"-3", 4}}));
  EXPECT_EQ(json_keys(R"(["0e8f3c9a-1b2d-4c5e-8f70-123456789abc", "not-a-uuid"])"),
            (Keys{{"0e8f3c9a-1b2d-4c5e-8f70-123456789abc", 1}}));
  EXPECT_EQ(json_keys("42"), (Keys{{"42", 1}}));
  EXPECT_EQ(json_keys(R"({"12": "a", "13" : 5})"), (Keys{{"5", 1}})) << "object keys are no ids";
  EXPECT_EQ(json_keys(R"(["a\"5", "6"])"), (Keys{{"6", 1}})) << "an escaped quote ends nothing";
  EXPECT_EQ(json_keys("[123456789012345678901, 2]"), (Keys{{"2", 1}})) << "longer than a bigint";
}

TEST(JsonKeys, CutShortKeepsOnlyWholeKeysAndStopsAtTheLimit) {
  EXPECT_EQ(json_keys(R"([4, 9, 12)", false), (Keys{{"4", 1}, {"9", 2}}));
  EXPECT_EQ(json_keys(R"([4, "55)", false), (Keys{{"4", 1}}));
  EXPECT_EQ(json_keys("[1, 2, 3, 4]", true, 2), (Keys{{"1", 1}, {"2", 2}}));
  for (const std::string_view bad : {"", "\"", "-", "[-]", "\\", "{\"a\":", "[[[[[[[[[", "\"\\"}) {
    EXPECT_TRUE(json_keys(bad).empty()) << bad;
  }
}

TEST(ArrayElements, OneDimensionalIdsOnly) {
  EXPECT_EQ(array_elements("{4,5,NULL,6}"), (Keys{{"4", 1}, {"5", 2}, {"6", 4}}));
  EXPECT_TRUE(array_elements("{{1,2},{3,4}}").empty());
  EXPECT_TRUE(array_elements("{\"a,b\"}").empty());
  EXPECT_TRUE(array_elements("4,5").empty());
}

}  // namespace
}  // namespace pgtally::wire
