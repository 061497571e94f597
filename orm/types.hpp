// Attribute types of model columns (the SQL side) and the C++ value types that hold them,
// with their conversion to and from PostgreSQL's text format. Model declarations, the where
// builder and raw replacements use these; everything travels as a bound text parameter.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace pgtally::orm {

// timestamptz: microseconds since the epoch, UTC.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
// date: a calendar day.
using Date = std::chrono::year_month_day;
// jsonb
using Json = nlohmann::json;

// numeric: kept as its exact decimal text ("12.50"); convert when you need arithmetic.
struct Numeric {
  std::string text = "0";
  friend bool operator==(const Numeric&, const Numeric&) = default;
};

// uuid: its canonical text form ("8-4-4-4-12" lower-case hex digits).
struct Uuid {
  std::string text;
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

// The SQL type of a column, as declared in a model.
class Type {
 public:
  enum class Kind : std::uint8_t {
    integer,
    bigint,
    string,
    text,
    boolean,
    enumeration,
    timestamptz,
    date,
    numeric,
    uuid,
    jsonb
  };

  static Type integer() { return Type(Kind::integer); }
  static Type bigint() { return Type(Kind::bigint); }
  static Type string(std::uint32_t length = 255) {
    Type t(Kind::string);
    t.length_ = length;
    return t;
  }
  static Type text() { return Type(Kind::text); }
  static Type boolean() { return Type(Kind::boolean); }
  // A PostgreSQL enum type; a C++ enum field maps its underlying value i to labels[i].
  static Type enumeration(std::vector<std::string> labels) {
    Type t(Kind::enumeration);
    t.labels_ = std::move(labels);
    return t;
  }
  static Type timestamptz() { return Type(Kind::timestamptz); }
  static Type date() { return Type(Kind::date); }
  static Type numeric(std::uint32_t precision = 0, std::uint32_t scale = 0) {
    Type t(Kind::numeric);
    t.length_ = precision;
    t.scale_ = scale;
    return t;
  }
  static Type uuid() { return Type(Kind::uuid); }
  static Type jsonb() { return Type(Kind::jsonb); }

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] std::uint32_t length() const { return length_; }
  [[nodiscard]] const std::vector<std::string>& labels() const { return labels_; }
  // The DDL spelling; enum_type_name names the CREATE TYPE of an enumeration.
  [[nodiscard]] std::string sql(const std::string& enum_type_name = {}) const;
  // What a reader sees in errors: "string(255)".
  [[nodiscard]] std::string describe() const;

 private:
  explicit Type(Kind kind) : kind_(kind) {}
  Kind kind_;
  std::uint32_t length_ = 0;
  std::uint32_t scale_ = 0;
  std::vector<std::string> labels_;
};

// Text-format conversions; each throws UsageError on text it cannot read.
std::string format_timestamp(Timestamp value);
Timestamp parse_timestamp(std::string_view text);
std::string format_date(Date value);
Date parse_date(std::string_view text);
std::int64_t parse_int(std::string_view text, std::int64_t min, std::int64_t max);

// How a C++ field type reads and writes PostgreSQL text. Specialized for every supported type;
// `accepts` says which declared column kinds may hold it.
template <typename T, typename Enable = void>
struct ValueTraits;

template <>
struct ValueTraits<std::int32_t> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::integer; }
  static std::string to_text(std::int32_t v, const Type&) { return std::to_string(v); }
  static std::int32_t from_text(std::string_view s, const Type&) {
    return static_cast<std::int32_t>(parse_int(s, INT32_MIN, INT32_MAX));
  }
};

template <>
struct ValueTraits<std::int64_t> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::bigint || k == Type::Kind::integer; }
  static std::string to_text(std::int64_t v, const Type&) { return std::to_string(v); }
  static std::int64_t from_text(std::string_view s, const Type&) {
    return parse_int(s, INT64_MIN, INT64_MAX);
  }
};

template <>
struct ValueTraits<bool> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::boolean; }
  static std::string to_text(bool v, const Type&) { return v ? "true" : "false"; }
  static bool from_text(std::string_view s, const Type&) { return !s.empty() && s[0] == 't'; }
};

template <>
struct ValueTraits<std::string> {
  static bool accepts(Type::Kind k) {
    return k == Type::Kind::string || k == Type::Kind::text || k == Type::Kind::enumeration ||
           k == Type::Kind::uuid || k == Type::Kind::numeric;
  }
  static std::string to_text(const std::string& v, const Type&) { return v; }
  static std::string from_text(std::string_view s, const Type&) { return std::string(s); }
  static void assign(std::string& out, std::string_view s, const Type&) {
    out.assign(s.data(), s.size());
  }
};

template <>
struct ValueTraits<Timestamp> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::timestamptz; }
  static std::string to_text(Timestamp v, const Type&) { return format_timestamp(v); }
  static Timestamp from_text(std::string_view s, const Type&) { return parse_timestamp(s); }
};

template <>
struct ValueTraits<Date> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::date; }
  static std::string to_text(Date v, const Type&) { return format_date(v); }
  static Date from_text(std::string_view s, const Type&) { return parse_date(s); }
};

template <>
struct ValueTraits<Numeric> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::numeric; }
  static std::string to_text(const Numeric& v, const Type&) { return v.text; }
  static Numeric from_text(std::string_view s, const Type&) { return Numeric{std::string(s)}; }
  static void assign(Numeric& out, std::string_view s, const Type&) {
    out.text.assign(s.data(), s.size());
  }
};

template <>
struct ValueTraits<Uuid> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::uuid; }
  static std::string to_text(const Uuid& v, const Type&) { return v.text; }
  static Uuid from_text(std::string_view s, const Type&) { return Uuid{std::string(s)}; }
};

template <>
struct ValueTraits<Json> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::jsonb; }
  static std::string to_text(const Json& v, const Type&) { return v.dump(); }
  static Json from_text(std::string_view s, const Type&) { return Json::parse(s); }
};

// Index of an enum label; throws UsageError when the database holds a label the model lacks.
std::size_t enum_index(const Type& type, std::string_view label);
// The label of a C++ enum value; throws UsageError when out of range.
const std::string& enum_label(const Type& type, std::size_t index);

template <typename E>
struct ValueTraits<E, std::enable_if_t<std::is_enum_v<E>>> {
  static bool accepts(Type::Kind k) { return k == Type::Kind::enumeration; }
  static std::string to_text(E v, const Type& t) {
    return enum_label(t, static_cast<std::size_t>(v));
  }
  static E from_text(std::string_view s, const Type& t) { return static_cast<E>(enum_index(t, s)); }
};

// Reads text into an existing value, reusing its storage when the type allows (strings).
template <typename T>
void read_value(T& out, std::string_view text, const Type& type) {
  if constexpr (requires { ValueTraits<T>::assign(out, text, type); }) {
    ValueTraits<T>::assign(out, text, type);
  } else {
    out = ValueTraits<T>::from_text(text, type);
  }
}

// A value a field may hold: a supported type or std::optional of one (NULL when empty).
template <typename T>
struct FieldTraits {
  using Value = T;
  static constexpr bool nullable = false;
  static bool accepts(Type::Kind k) { return ValueTraits<T>::accepts(k); }
  static std::optional<std::string> to_param(const T& v, const Type& t) {
    return ValueTraits<T>::to_text(v, t);
  }
  static void read(T& out, const char* data, std::size_t len, bool is_null, const Type& t) {
    if (is_null) return;  // the column allows no NULL: the default stays
    read_value(out, std::string_view(data, len), t);
  }
  static bool is_null(const T&) { return false; }
};

template <typename T>
struct FieldTraits<std::optional<T>> {
  using Value = T;
  static constexpr bool nullable = true;
  static bool accepts(Type::Kind k) { return ValueTraits<T>::accepts(k); }
  static std::optional<std::string> to_param(const std::optional<T>& v, const Type& t) {
    if (!v) return std::nullopt;
    return ValueTraits<T>::to_text(*v, t);
  }
  static void read(std::optional<T>& out, const char* data, std::size_t len, bool is_null,
                   const Type& t) {
    if (is_null) {
      out.reset();
    } else {
      if (!out) out.emplace();
      read_value(*out, std::string_view(data, len), t);
    }
  }
  static bool is_null(const std::optional<T>& v) { return !v.has_value(); }
};

// A bound parameter in text format; std::nullopt is SQL NULL.
using Param = std::optional<std::string>;

// Text form of a plain C++ value for a where clause or a replacement, when no column type is
// at hand (integers, strings, bools, timestamps, dates, json, numeric, uuid).
struct Value {
  Param text;
  Value() = default;
  Value(std::nullopt_t) {}                             // NOLINT: implicit by design
  Value(const char* s) : text(std::string(s)) {}       // NOLINT
  Value(std::string s) : text(std::move(s)) {}         // NOLINT
  Value(std::string_view s) : text(std::string(s)) {}  // NOLINT
  Value(bool b) : text(b ? "true" : "false") {}        // NOLINT
  Value(std::int32_t v) : text(std::to_string(v)) {}   // NOLINT
  Value(std::int64_t v) : text(std::to_string(v)) {}   // NOLINT
  Value(std::uint32_t v) : text(std::to_string(v)) {}  // NOLINT
  Value(double v);                                     // NOLINT
  Value(Timestamp v) : text(format_timestamp(v)) {}    // NOLINT
  Value(Date v) : text(format_date(v)) {}              // NOLINT
  Value(const Numeric& v) : text(v.text) {}            // NOLINT
  Value(const Uuid& v) : text(v.text) {}               // NOLINT
  Value(const Json& v) : text(v.dump()) {}             // NOLINT
  template <typename T>
  Value(const std::optional<T>& v) {  // NOLINT
    if (v) text = Value(*v).text;
  }
};

}  // namespace pgtally::orm
