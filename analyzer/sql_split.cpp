#include "analyzer/sql_split.hpp"

#include <cctype>

namespace pgtally {
namespace {

bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Index just past a dollar-quote opening tag at `at` ($$ or $tag$), or npos.
std::size_t dollar_tag_end(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  if (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
    return std::string_view::npos;  // $1 is a parameter
  }
  while (i < text.size() && is_ident_char(text[i]) && text[i] != '$')
    ++i;
  return i < text.size() && text[i] == '$' ? i + 1 : std::string_view::npos;
}

// Whether `part` holds only whitespace and comments.
bool only_comments(std::string_view part) {
  std::size_t i = 0;
  while (i < part.size()) {
    if (std::isspace(static_cast<unsigned char>(part[i])) != 0) {
      ++i;
    } else if (part.substr(i, 2) == "--") {
      const auto end = part.find('\n', i);
      i = end == std::string_view::npos ? part.size() : end + 1;
    } else if (part.substr(i, 2) == "/*") {
      const auto end = part.find("*/", i + 2);
      i = end == std::string_view::npos ? part.size() : end + 2;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string_view> split_statements(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto cut = [&](std::size_t end) {
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  };
  while (i < n) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      // E'...' strings take backslash escapes; '' and "" are escaped quotes everywhere.
      const bool backslashes = c == '\'' && i > 0 && (text[i - 1] == 'E' || text[i - 1] == 'e');
      ++i;
      while (i < n) {
        if (backslashes && text[i] == '\\') {
          i += 2;
          continue;
        }
        if (text[i] == c) {
          if (i + 1 < n && text[i + 1] == c) {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      ++i;
    } else if (c == '-' && i + 1 < n && text[i + 1] == '-') {
      const auto end = text.find('\n', i);
      i = end == std::string_view::npos ? n : end + 1;
    } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      int depth = 1;  // PostgreSQL's block comments nest
      i += 2;
      while (i < n && depth > 0) {
        if (text.substr(i, 2) == "/*") {
          ++depth;
          i += 2;
        } else if (text.substr(i, 2) == "*/") {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '$' && (i == 0 || !is_ident_char(text[i - 1]))) {
      const auto tag_end = dollar_tag_end(text, i);
      if (tag_end == std::string_view::npos) {
        ++i;
        continue;
      }
      const auto tag = text.substr(i, tag_end - i);
      const auto close = text.find(tag, tag_end);
      i = close == std::string_view::npos ? n : close + tag.size();
    } else if (c == ';') {
      cut(i);
      ++i;
    } else {
      ++i;
    }
  }
  if (start <= n) parts.push_back(text.substr(std::min(start, n)));

  std::vector<std::string_view> statements;
  for (const auto part : parts) {
    if (!only_comments(part)) {
      statements.push_back(part);
    } else if (!statements.empty() && part.find("/*") != std::string_view::npos) {
      // A comment after the last semicolon belongs to the statement before it.
      const auto& last = statements.back();
      statements.back() =
          text.substr(static_cast<std::size_t>(last.data() - text.data()),
                      static_cast<std::size_t>(part.data() - last.data()) + part.size());
    }
  }
  return statements;
}

}  // namespace pgtally
