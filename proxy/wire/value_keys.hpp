// The keys held inside one result value in text form, for sampling: the elements of an array
// of ids, and the ids in a json document. Pure and linear: any input, however malformed or cut
// short, ends the walk at worst.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace pgtally::wire {

namespace json_keys_detail {

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
inline bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// Digits (at most 20: a bigint), or a uuid in its canonical 8-4-4-4-12 form.
inline bool key_like_string(std::string_view s) {
  if (!s.empty() && s.size() <= 20) {
    bool digits = true;
    for (const char c : s)
      digits = digits && is_digit(c);
    if (digits) return true;
  }
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

}  // namespace json_keys_detail

// Calls `each(element, index)` for every element of a one-dimensional array (`{4,5,NULL,6}`),
// index counting from 1; integers and uuids need no quoting, so a quote or a nested brace ends
// the walk.
template <typename Each>
void for_each_array_element(std::string_view text, Each&& each) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return;
  text = text.substr(1, text.size() - 2);
  std::uint16_t index = 0;
  while (!text.empty() && index < 0xffff) {
    const std::size_t comma = text.find(',');
    const std::string_view element = text.substr(0, comma);
    if (element.find_first_of("\"{}") != std::string_view::npos) return;
    ++index;
    if (!element.empty() && element != "NULL") each(element, index);
    if (comma == std::string_view::npos) return;
    text.remove_prefix(comma + 1);
  }
}

// Calls `each(text, index)` for each key-like value of a json document in order: integers, and
// strings that are digits or a uuid, wherever they stand (`{"related": [4, 9], "author": "7"}`
// holds 4, 9 and 7); object keys, fractions, booleans and other strings are none. Index counts
// them from 1; the walk stops after `most`. `whole`: the text is the whole value (else a number at
// its end may go on).
template <typename Each>
void for_each_json_key(std::string_view text, bool whole, std::uint16_t most, Each&& each) {
  using json_keys_detail::is_digit;
  using json_keys_detail::is_space;
  std::uint16_t index = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n && index < most) {
    const char c = text[i];
    if (c == '"') {
      const std::size_t start = i + 1;
      bool escaped = false;
      std::size_t end = start;
      for (; end < n && text[end] != '"'; ++end) {
        if (text[end] == '\\') {
          escaped = true;
          ++end;  // the escaped character, whatever it is
        }
      }
      if (end >= n) return;  // cut short inside a string
      i = end + 1;
      std::size_t after = i;
      while (after < n && is_space(text[after]))
        ++after;
      if (after < n && text[after] == ':') continue;  // an object key
      const std::string_view s = text.substr(start, end - start);
      if (!escaped && json_keys_detail::key_like_string(s)) each(s, ++index);
    } else if (c == '-' || is_digit(c)) {
      const std::size_t start = i;
      ++i;
      while (i < n && is_digit(text[i]))
        ++i;
      if (i >= n && !whole) return;  // cut short: the number may go on
      const char next = i < n ? text[i] : ' ';
      if (next == '.' || next == 'e' || next == 'E') {
        while (i < n && (is_digit(text[i]) || text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
                         text[i] == '+' || text[i] == '-')) {
          ++i;
        }
        continue;
      }
      const std::string_view number = text.substr(start, i - start);
      if (number != "-" && number.size() <= 20) each(number, ++index);
    } else {
      ++i;
    }
  }
}

}  // namespace pgtally::wire
