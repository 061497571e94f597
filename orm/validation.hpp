// Attribute validators (notEmpty, len, min, max, isEmail, isIn, isInt, custom), attached to a
// column in the model declaration. They run on the value's text form before any SQL is sent;
// those with a SQL equivalent also become CHECK constraints when sync creates the table.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgtally::orm {

struct Validator {
  std::string name;  // "isEmail", as in error reports
  // The failure message for a value's text form, or nothing when it passes.
  std::function<std::optional<std::string>(std::string_view)> check;
  // The CHECK expression for a quoted column name, when the database can enforce it too.
  std::function<std::string(const std::string& column)> sql_check;
};

// An empty message argument means the default message.
Validator not_empty(std::string message = {});
// Length in characters (UTF-8 code points), inclusive.
Validator len(std::size_t min, std::size_t max, std::string message = {});
Validator min(double bound, std::string message = {});
Validator max(double bound, std::string message = {});
Validator is_email(std::string message = {});
Validator is_in(std::vector<std::string> allowed, std::string message = {});
Validator is_int(std::string message = {});
// A check of your own: predicate returns true when the value is valid.
Validator custom(std::string name, std::function<bool(std::string_view)> predicate,
                 std::string message);

// 'text' with quotes doubled, for DDL only (CHECK and DEFAULT in sync); never for values.
std::string quote_literal(std::string_view text);
// "name" with quotes doubled.
std::string quote_ident(std::string_view name);

}  // namespace pgtally::orm
