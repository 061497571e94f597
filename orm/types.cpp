#include "orm/types.hpp"

#include <charconv>

#include <fmt/format.h>

#include "orm/errors.hpp"

namespace pgtally::orm {
namespace {

using std::chrono::days;
using std::chrono::microseconds;

int digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) {
    throw UsageError(fmt::format("cannot read date/time '{}': too short", text));
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      throw UsageError(fmt::format("cannot read date/time '{}': digit expected", text));
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string Type::sql(const std::string& enum_type_name) const {
  switch (kind_) {
    case Kind::integer:
      return "INTEGER";
    case Kind::bigint:
      return "BIGINT";
    case Kind::string:
      return fmt::format("VARCHAR({})", length_);
    case Kind::text:
      return "TEXT";
    case Kind::boolean:
      return "BOOLEAN";
    case Kind::enumeration:
      return enum_type_name;
    case Kind::timestamptz:
      return "TIMESTAMP WITH TIME ZONE";
    case Kind::date:
      return "DATE";
    case Kind::numeric:
      return length_ == 0 ? std::string("NUMERIC")
                          : fmt::format("NUMERIC({}, {})", length_, scale_);
    case Kind::uuid:
      return "UUID";
    case Kind::jsonb:
      return "JSONB";
  }
  return "TEXT";
}

std::string Type::describe() const {
  switch (kind_) {
    case Kind::string:
      return fmt::format("string({})", length_);
    case Kind::enumeration:
      return fmt::format("enum({})", fmt::join(labels_, ", "));
    default:
      return sql();
  }
}

std::string format_timestamp(Timestamp value) {
  const auto day = std::chrono::floor<days>(value);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<microseconds> tod{value - day};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count(),
                     tod.subseconds().count());
}

// ISO DateStyle: "2024-01-02 03:04:05[.ffffff]+hh[:mm[:ss]]".
Timestamp parse_timestamp(std::string_view text) {
  const Date ymd = parse_date(text.substr(0, 10));
  if (text.size() < 19 || text[10] != ' ' || text[13] != ':' || text[16] != ':') {
    throw UsageError(fmt::format("cannot read timestamptz '{}': ISO DateStyle expected", text));
  }
  microseconds t =
      std::chrono::sys_days(ymd).time_since_epoch() + std::chrono::hours(digits(text, 11, 2)) +
      std::chrono::minutes(digits(text, 14, 2)) + std::chrono::seconds(digits(text, 17, 2));
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::int64_t frac = 0;
    int scale = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (scale < 6) {
        frac = frac * 10 + (text[pos] - '0');
        ++scale;
      }
      ++pos;
    }
    for (; scale < 6; ++scale)
      frac *= 10;
    t += microseconds(frac);
  }
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    std::chrono::seconds offset = std::chrono::hours(digits(text, pos + 1, 2));
    pos += 3;
    if (pos < text.size() && text[pos] == ':') {
      offset += std::chrono::minutes(digits(text, pos + 1, 2));
      pos += 3;
    }
    if (pos < text.size() && text[pos] == ':') {
      offset += std::chrono::seconds(digits(text, pos + 1, 2));
    }
    t -= sign * offset;
  }
  return Timestamp(t);
}

std::string format_date(Date value) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(value.year()),
                     static_cast<unsigned>(value.month()), static_cast<unsigned>(value.day()));
}

Date parse_date(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') {
    throw UsageError(fmt::format("cannot read date '{}': YYYY-MM-DD expected", text));
  }
  const Date d{std::chrono::year(digits(text, 0, 4)),
               std::chrono::month(static_cast<unsigned>(digits(text, 5, 2))),
               std::chrono::day(static_cast<unsigned>(digits(text, 8, 2)))};
  if (!d.ok()) throw UsageError(fmt::format("cannot read date '{}': no such day", text));
  return d;
}

std::int64_t parse_int(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(fmt::format("cannot read '{}' as an integer in [{}, {}]", text, min, max));
  }
  return value;
}

std::size_t enum_index(const Type& type, std::string_view label) {
  const auto& labels = type.labels();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == label) return i;
  }
  throw UsageError(fmt::format("enum label '{}' is not one of the model's ({})", label,
                               fmt::join(labels, ", ")));
}

const std::string& enum_label(const Type& type, std::size_t index) {
  if (index >= type.labels().size()) {
    throw UsageError(fmt::format("enum value {} has no label (the model declares {})", index,
                                 type.labels().size()));
  }
  return type.labels()[index];
}

Value::Value(double v) : text(fmt::format("{}", v)) {}

}  // namespace pgtally::orm
