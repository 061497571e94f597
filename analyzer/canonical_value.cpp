#include "analyzer/canonical_value.hpp"

#include <cstddef>

namespace pgtally::analyzer {
namespace {

constexpr std::size_t kMaxNumber = 40;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

class Writer {
 public:
  explicit Writer(CanonicalBuffer& buffer) : buffer_(buffer) {}
  void put(char c) {
    if (size_ < buffer_.size()) buffer_[size_++] = c;
  }
  void put(std::string_view s) {
    for (const char c : s)
      put(c);
  }
  [[nodiscard]] std::string_view view() const { return {buffer_.data(), size_}; }

 private:
  CanonicalBuffer& buffer_;
  std::size_t size_ = 0;
};

// [+-]digits[.digits] (at least one digit in all).
std::string_view canonical_number(std::string_view text, CanonicalBuffer& buffer) {
  if (text.size() > kMaxNumber) return text;
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') i = 1;
  const std::size_t dot = text.find('.', i);
  std::string_view whole = text.substr(i, dot == std::string_view::npos ? text.npos : dot - i);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if ((whole.empty() && fraction.empty()) || (!whole.empty() && !all_digits(whole)) ||
      (!fraction.empty() && !all_digits(fraction))) {
    return text;
  }
  if (dot != std::string_view::npos && whole.empty() && fraction.empty()) return text;
  while (whole.size() > 1 && whole.front() == '0')
    whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0')
    fraction.remove_suffix(1);
  if (whole.empty()) whole = "0";
  const bool zero = whole == "0" && fraction.empty();
  if (!negative && text[0] != '+' && whole.size() == text.size()) return text;  // already canonical
  Writer out(buffer);
  if (negative && !zero) out.put('-');
  out.put(whole);
  if (!fraction.empty()) {
    out.put('.');
    out.put(fraction);
  }
  return out.view();
}

// YYYY-MM-DD[T ]HH:MM:SS[.f+][ ]?[Z|+HH|+HHMM|+HH:MM]
std::string_view canonical_timestamp(std::string_view text, CanonicalBuffer& buffer) {
  if (text.size() < 19 || text.size() > 48) return text;
  auto digits_at = [&](std::size_t at, std::size_t n) {
    return at + n <= text.size() && all_digits(text.substr(at, n));
  };
  if (!digits_at(0, 4) || text[4] != '-' || !digits_at(5, 2) || text[7] != '-' ||
      !digits_at(8, 2) || (text[10] != ' ' && text[10] != 'T') || !digits_at(11, 2) ||
      text[13] != ':' || !digits_at(14, 2) || text[16] != ':' || !digits_at(17, 2)) {
    return text;
  }
  Writer out(buffer);
  out.put(text.substr(0, 10));
  out.put(' ');
  out.put(text.substr(11, 8));
  std::size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    const std::size_t from = ++i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    std::string_view fraction = text.substr(from, i - from);
    if (fraction.empty()) return text;
    while (!fraction.empty() && fraction.back() == '0')
      fraction.remove_suffix(1);
    if (!fraction.empty()) {
      out.put('.');
      out.put(fraction);
    }
  }
  if (i < text.size() && text[i] == ' ') ++i;
  if (i == text.size()) return out.view();
  std::string_view zone = text.substr(i);
  if (zone == "Z" || zone == "z") {
    out.put("+00:00");
    return out.view();
  }
  if (zone[0] != '+' && zone[0] != '-') return text;
  const char sign = zone[0];
  zone.remove_prefix(1);
  std::string_view hours;
  std::string_view minutes = "00";
  if (zone.size() == 2 && all_digits(zone)) {
    hours = zone;
  } else if (zone.size() == 4 && all_digits(zone)) {
    hours = zone.substr(0, 2);
    minutes = zone.substr(2);
  } else if (zone.size() == 5 && zone[2] == ':' && all_digits(zone.substr(0, 2)) &&
             all_digits(zone.substr(3))) {
    hours = zone.substr(0, 2);
    minutes = zone.substr(3);
  } else {
    return text;
  }
  out.put(hours == "00" && minutes == "00" ? '+' : sign);
  out.put(hours);
  out.put(':');
  out.put(minutes);
  return out.view();
}

std::string_view canonical_uuid(std::string_view text, CanonicalBuffer& buffer) {
  bool upper = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex(text[i])) return text;
    upper = upper || (text[i] >= 'A' && text[i] <= 'F');
  }
  if (!upper) return text;
  Writer out(buffer);
  for (const char c : text)
    out.put(c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c);
  return out.view();
}

}  // namespace

std::string_view canonical_value(std::string_view text, CanonicalBuffer& buffer) {
  if (text.empty()) return text;
  const char first = text[0];
  if (text.size() == 36 && text[8] == '-') return canonical_uuid(text, buffer);
  if (is_digit(first) && text.size() >= 19 && text[4] == '-') {
    return canonical_timestamp(text, buffer);
  }
  if (is_digit(first) || first == '-' || first == '+' || first == '.') {
    return canonical_number(text, buffer);
  }
  return text;
}

}  // namespace pgtally::analyzer
