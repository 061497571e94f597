#include "orm/validation.hpp"

#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace pgtally::orm {
namespace {

std::string or_default(std::string message, std::string fallback) {
  return message.empty() ? std::move(fallback) : std::move(message);
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++n;
  }
  return n;
}

std::optional<double> as_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string number_sql(double value) {
  return fmt::format("{}", value);
}

}  // namespace

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

Validator not_empty(std::string message) {
  std::string msg = or_default(std::move(message), "must not be empty");
  return Validator{"notEmpty",
                   [msg](std::string_view v) -> std::optional<std::string> {
                     if (v.empty()) return msg;
                     return std::nullopt;
                   },
                   [](const std::string& col) { return fmt::format("{} <> ''", col); }};
}

Validator len(std::size_t min, std::size_t max, std::string message) {
  std::string msg = or_default(std::move(message),
                               fmt::format("must be between {} and {} characters long", min, max));
  return Validator{"len",
                   [min, max, msg](std::string_view v) -> std::optional<std::string> {
                     const std::size_t n = code_points(v);
                     if (n < min || n > max) return msg;
                     return std::nullopt;
                   },
                   [min, max](const std::string& col) {
                     return fmt::format("char_length({}) BETWEEN {} AND {}", col, min, max);
                   }};
}

Validator min(double bound, std::string message) {
  std::string msg = or_default(std::move(message), fmt::format("must be at least {}", bound));
  return Validator{
      "min",
      [bound, msg](std::string_view v) -> std::optional<std::string> {
        const auto n = as_number(v);
        if (!n || *n < bound) return msg;
        return std::nullopt;
      },
      [bound](const std::string& col) { return fmt::format("{} >= {}", col, number_sql(bound)); }};
}

Validator max(double bound, std::string message) {
  std::string msg = or_default(std::move(message), fmt::format("must be at most {}", bound));
  return Validator{
      "max",
      [bound, msg](std::string_view v) -> std::optional<std::string> {
        const auto n = as_number(v);
        if (!n || *n > bound) return msg;
        return std::nullopt;
      },
      [bound](const std::string& col) { return fmt::format("{} <= {}", col, number_sql(bound)); }};
}

Validator is_email(std::string message) {
  std::string msg = or_default(std::move(message), "must be an email address (name@domain.tld)");
  return Validator{"isEmail",
                   [msg](std::string_view v) -> std::optional<std::string> {
                     // One '@', a non-empty local part, a dotted domain, no spaces.
                     const auto at = v.find('@');
                     const bool ok = at != std::string_view::npos && at > 0 &&
                                     v.find('@', at + 1) == std::string_view::npos &&
                                     v.find_first_of(" \t\r\n") == std::string_view::npos && [&] {
                                       const auto domain = v.substr(at + 1);
                                       const auto dot = domain.rfind('.');
                                       return dot != std::string_view::npos && dot > 0 &&
                                              dot + 1 < domain.size();
                                     }();
                     if (!ok) return msg;
                     return std::nullopt;
                   },
                   nullptr};
}

Validator is_in(std::vector<std::string> allowed, std::string message) {
  std::string msg =
      or_default(std::move(message), fmt::format("must be one of: {}", fmt::join(allowed, ", ")));
  return Validator{"isIn",
                   [allowed, msg](std::string_view v) -> std::optional<std::string> {
                     for (const auto& a : allowed) {
                       if (a == v) return std::nullopt;
                     }
                     return msg;
                   },
                   [allowed](const std::string& col) {
                     std::vector<std::string> quoted;
                     quoted.reserve(allowed.size());
                     for (const auto& a : allowed)
                       quoted.push_back(quote_literal(a));
                     return fmt::format("{}::text IN ({})", col, fmt::join(quoted, ", "));
                   }};
}

Validator is_int(std::string message) {
  std::string msg = or_default(std::move(message), "must be an integer");
  return Validator{"isInt",
                   [msg](std::string_view v) -> std::optional<std::string> {
                     long long n = 0;
                     const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
                     if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return msg;
                     return std::nullopt;
                   },
                   nullptr};
}

Validator custom(std::string name, std::function<bool(std::string_view)> predicate,
                 std::string message) {
  return Validator{std::move(name),
                   [predicate = std::move(predicate), message = std::move(message)](
                       std::string_view v) -> std::optional<std::string> {
                     if (predicate(v)) return std::nullopt;
                     return message;
                   },
                   nullptr};
}

}  // namespace pgtally::orm
