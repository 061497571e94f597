#include "orm/raw_query.hpp"

#include <fmt/format.h>

#include "orm/errors.hpp"

namespace pgtally::orm {
namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}

// The end of a quoted run starting at sql[i] == quote, doubled quotes included.
std::size_t skip_quoted(std::string_view sql, std::size_t i, char quote) {
  ++i;
  while (i < sql.size()) {
    if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return i;
}

}  // namespace

Statement compile_named(std::string_view sql, const Replacements& replacements) {
  Statement st;
  std::map<std::string, std::size_t, std::less<>> numbers;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    std::size_t end = i + 1;
    if (c == '\'' || c == '"') {
      end = skip_quoted(sql, i, c);
    } else if (c == '-' && next == '-') {
      end = sql.find('\n', i);
      end = end == std::string_view::npos ? sql.size() : end;
    } else if (c == '/' && next == '*') {
      end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '$' && (next == '$' || ident_start(next))) {
      // A dollar quote $tag$...$tag$ (a $1 placeholder is not one).
      std::size_t tag_end = i + 1;
      while (tag_end < sql.size() && ident_char(sql[tag_end]))
        ++tag_end;
      if (tag_end < sql.size() && sql[tag_end] == '$') {
        const std::string_view tag = sql.substr(i, tag_end - i + 1);
        const auto close = sql.find(tag, tag_end + 1);
        end = close == std::string_view::npos ? sql.size() : close + tag.size();
      }
    } else if (c == ':' && next == ':') {
      end = i + 2;  // a cast
    } else if (c == ':' && ident_start(next) && (i == 0 || sql[i - 1] != ':')) {
      std::size_t name_end = i + 1;
      while (name_end < sql.size() && ident_char(sql[name_end]))
        ++name_end;
      const std::string_view name = sql.substr(i + 1, name_end - i - 1);
      auto found = numbers.find(name);
      if (found == numbers.end()) {
        const auto value = replacements.find(name);
        if (value == replacements.end()) {
          throw UsageError(
              fmt::format("the SQL uses :{} but no replacement of that name was given", name));
        }
        st.params.push_back(value->second.text);
        found = numbers.emplace(std::string(name), st.params.size()).first;
      }
      st.sql += fmt::format("${}", found->second);
      i = name_end;
      continue;
    }
    st.sql.append(sql.substr(i, end - i));
    i = end;
  }
  return st;
}

std::optional<std::string_view> Record::text(const std::string& column) const {
  const int index = result_->column_index(column);
  if (index < 0) throw UsageError(fmt::format("the result has no column \"{}\"", column));
  if (result_->is_null(row_, index)) return std::nullopt;
  return result_->value(row_, index);
}

}  // namespace pgtally::orm
