#include "analyzer/literal_scanner.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include <fmt/format.h>

namespace pgtally::analyzer {
namespace {

enum class Tok : std::uint8_t {
  end,
  ident,
  quoted_ident,
  literal,
  op,
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  semicolon,
  cast,
  other,
};

enum class Kw : std::uint8_t {
  none,
  select,
  insert,
  update,
  delete_,
  with,
  values,
  table,
  show,
  begin,
  start,
  commit,
  end,
  rollback,
  abort,
  savepoint,
  release,
  set,
  reset,
  to,
  limit,
  offset,
  first,
  next,
  in,
  any,
  all,
  some,
  array,
  where,
  on,
  having,
  returning,
  from,
};

struct Token {
  Tok tok = Tok::end;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  LiteralKind literal = LiteralKind::number;
  Kw kw = Kw::none;
};

bool ieq(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto c = static_cast<unsigned char>(a[i]);
    const char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
    if (l != lower[i]) return false;
  }
  return true;
}

Kw classify(std::string_view w) {
  struct Entry {
    std::string_view word;
    Kw kw;
  };
  static constexpr std::array<Entry, 33> kTable{{
      {"select", Kw::select},
      {"insert", Kw::insert},
      {"update", Kw::update},
      {"delete", Kw::delete_},
      {"with", Kw::with},
      {"values", Kw::values},
      {"table", Kw::table},
      {"show", Kw::show},
      {"begin", Kw::begin},
      {"start", Kw::start},
      {"commit", Kw::commit},
      {"end", Kw::end},
      {"rollback", Kw::rollback},
      {"abort", Kw::abort},
      {"savepoint", Kw::savepoint},
      {"release", Kw::release},
      {"set", Kw::set},
      {"reset", Kw::reset},
      {"to", Kw::to},
      {"limit", Kw::limit},
      {"offset", Kw::offset},
      {"first", Kw::first},
      {"next", Kw::next},
      {"in", Kw::in},
      {"any", Kw::any},
      {"all", Kw::all},
      {"some", Kw::some},
      {"array", Kw::array},
      {"where", Kw::where},
      {"on", Kw::on},
      {"having", Kw::having},
      {"returning", Kw::returning},
      {"from", Kw::from},
  }};
  if (w.size() < 2 || w.size() > 9) return Kw::none;
  // Every keyword starts with one of these letters; most identifiers are rejected here.
  switch (static_cast<unsigned char>(w[0]) | 0x20U) {
    case 'a':
    case 'b':
    case 'c':
    case 'd':
    case 'e':
    case 'f':
    case 'h':
    case 'i':
    case 'l':
    case 'n':
    case 'o':
    case 'r':
    case 's':
    case 't':
    case 'u':
    case 'v':
    case 'w':
      break;
    default:
      return Kw::none;
  }
  const char first = static_cast<char>(static_cast<unsigned char>(w[0]) | 0x20U);
  for (const auto& e : kTable) {
    if (e.word.size() != w.size() || e.word[0] != first) continue;
    if (e.word.size() == w.size() && ieq(w, e.word)) return e.kw;
  }
  return Kw::none;
}

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool is_ident_char(unsigned char c) {
  return is_ident_start(c) || is_digit(c) || c == '$';
}
bool is_op_char(unsigned char c) {
  switch (c) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '<':
    case '>':
    case '=':
    case '~':
    case '!':
    case '@':
    case '#':
    case '%':
    case '^':
    case '&':
    case '|':
    case '`':
    case '?':
      return true;
    default:
      return false;
  }
}

// A 64-bit mix over token bytes: a cache key, not a security boundary.
struct ShapeHash {
  std::uint64_t h = 0x243f6a8885a308d3ULL;
  void mix(std::uint64_t v) {
    h ^= v;
    h *= 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29U;
  }
  void bytes(std::string_view s) {
    const char* p = s.data();
    std::size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
      std::uint64_t v = 0;
      std::memcpy(&v, p, 8);
      mix(v);
    }
    std::uint64_t tail = s.size();
    for (std::size_t j = 0; j < n; ++j) {
      tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[j])) << (8U * (j + 1));
    }
    mix(tail);
  }
};

class Lexer {
 public:
  Lexer(std::string_view text, ScanResult& out) : s_(text), out_(out) {}

  Token next() {
    skip_space_and_comments();
    Token t;
    t.offset = static_cast<std::uint32_t>(pos_);
    if (pos_ >= s_.size()) return t;
    const auto c = at(pos_);
    const auto c1 = at(pos_ + 1);
    if (c == '\'') {
      standard_string(pos_);
      return finish(t, Tok::literal, LiteralKind::string);
    }
    if (is_ident_start(c)) {
      // String prefixes: E'..', B'..', X'..', N'..', U&'..'.
      if (c1 == '\'') {
        if (c == 'e' || c == 'E') {
          escape_string(pos_ + 1);
          return finish(t, Tok::literal, LiteralKind::escape_string);
        }
        if (c == 'b' || c == 'B' || c == 'x' || c == 'X') {
          standard_string(pos_ + 1);
          return finish(t, Tok::literal, LiteralKind::bit_string);
        }
        if (c == 'n' || c == 'N') {
          standard_string(pos_ + 1);
          return finish(t, Tok::literal, LiteralKind::string);
        }
      }
      if ((c == 'u' || c == 'U') && c1 == '&' && at(pos_ + 2) == '\'') {
        standard_string(pos_ + 2);
        return finish(t, Tok::literal, LiteralKind::string);
      }
      if ((c == 'u' || c == 'U') && c1 == '&' && at(pos_ + 2) == '"') {
        if (!quoted_ident(pos_ + 2)) return finish(t, Tok::literal, LiteralKind::string);
        return finish(t, Tok::quoted_ident);
      }
      std::size_t p = pos_ + 1;
      while (p < s_.size() && is_ident_char(at(p)))
        ++p;
      pos_ = p;
      finish(t, Tok::ident);
      t.kw = classify(s_.substr(t.offset, t.length));
      return t;
    }
    if (c == '"') {
      // Unterminated, it runs to the end and may swallow literals: redact it as one.
      if (!quoted_ident(pos_)) return finish(t, Tok::literal, LiteralKind::string);
      return finish(t, Tok::quoted_ident);
    }
    if (is_digit(c) || (c == '.' && is_digit(c1))) {
      number();
      return finish(t, Tok::literal, LiteralKind::number);
    }
    if (c == '$') {
      if (is_digit(c1)) {
        std::size_t p = pos_ + 1;
        while (p < s_.size() && is_digit(at(p)))
          ++p;
        pos_ = p;
        return finish(t, Tok::literal, LiteralKind::parameter);
      }
      if (dollar_string()) return finish(t, Tok::literal, LiteralKind::dollar_string);
      ++pos_;
      return finish(t, Tok::other);
    }
    if (is_op_char(c)) {
      std::size_t p = pos_;
      while (p < s_.size() && is_op_char(at(p))) {
        if (p > pos_ &&
            ((at(p) == '-' && at(p + 1) == '-') || (at(p) == '/' && at(p + 1) == '*'))) {
          break;
        }
        ++p;
      }
      pos_ = p;
      return finish(t, Tok::op);
    }
    ++pos_;
    switch (c) {
      case '(':
        return finish(t, Tok::lparen);
      case ')':
        return finish(t, Tok::rparen);
      case '[':
        return finish(t, Tok::lbracket);
      case ']':
        return finish(t, Tok::rbracket);
      case ',':
        return finish(t, Tok::comma);
      case ';':
        return finish(t, Tok::semicolon);
      case ':':
        if (at(pos_) == ':') {
          ++pos_;
          return finish(t, Tok::cast);
        }
        return finish(t, Tok::other);
      default:
        return finish(t, Tok::other);
    }
  }

  [[nodiscard]] std::size_t position() const { return pos_; }
  void rewind(std::size_t pos) { pos_ = pos; }
  [[nodiscard]] std::string_view text(const Token& t) const {
    return s_.substr(t.offset, t.length);
  }

 private:
  [[nodiscard]] unsigned char at(std::size_t i) const {
    return i < s_.size() ? static_cast<unsigned char>(s_[i]) : 0;
  }
  Token& finish(Token& t, Tok tok, LiteralKind lk = LiteralKind::number) const {
    t.tok = tok;
    t.literal = lk;
    t.length = static_cast<std::uint32_t>(pos_ - t.offset);
    return t;
  }
  void skip_space_and_comments() {
    while (pos_ < s_.size()) {
      const auto c = at(pos_);
      if (is_space(c)) {
        ++pos_;
      } else if (c == '-' && at(pos_ + 1) == '-') {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && at(pos_) != '\n' && at(pos_) != '\r')
          ++pos_;
        record_comment(start);
      } else if (c == '/' && at(pos_ + 1) == '*') {
        const std::size_t start = pos_;
        pos_ += 2;
        int depth = 1;
        while (pos_ < s_.size() && depth > 0) {
          if (at(pos_) == '/' && at(pos_ + 1) == '*') {
            ++depth;
            pos_ += 2;
          } else if (at(pos_) == '*' && at(pos_ + 1) == '/') {
            --depth;
            pos_ += 2;
          } else {
            ++pos_;
          }
        }
        if (depth > 0) out_.complete = false;
        record_comment(start);
      } else {
        return;
      }
    }
  }
  void record_comment(std::size_t start) {
    out_.comments.push_back(
        {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(pos_ - start)});
  }
  // pos_ at the opening quote of a string with '' escapes (E'' strings: backslash ones too).
  void quoted_string(std::size_t quote, bool backslash_escapes) {
    std::size_t p = quote + 1;
    while (p < s_.size()) {
      if (backslash_escapes && at(p) == '\\') {
        p += 2;
        continue;
      }
      if (at(p) == '\'') {
        if (at(p + 1) == '\'') {
          p += 2;
          continue;
        }
        pos_ = p + 1;
        return;
      }
      ++p;
    }
    pos_ = s_.size();
    out_.complete = false;
  }
  void standard_string(std::size_t quote) { quoted_string(quote, false); }
  void escape_string(std::size_t quote) { quoted_string(quote, true); }
  bool quoted_ident(std::size_t quote) {
    std::size_t p = quote + 1;
    while (p < s_.size()) {
      if (at(p) == '"') {
        if (at(p + 1) == '"') {
          p += 2;
          continue;
        }
        pos_ = p + 1;
        return true;
      }
      ++p;
    }
    pos_ = s_.size();
    out_.complete = false;
    return false;
  }
  void number() {
    std::size_t p = pos_;
    while (is_digit(at(p)))
      ++p;
    if (at(p) == '.' && at(p + 1) != '.') {
      ++p;
      while (is_digit(at(p)))
        ++p;
    }
    if (at(p) == 'e' || at(p) == 'E') {
      std::size_t q = p + 1;
      if (at(q) == '+' || at(q) == '-') ++q;
      if (is_digit(at(q))) {
        p = q;
        while (is_digit(at(p)))
          ++p;
      }
    }
    pos_ = p;
  }
  // pos_ at '$' not followed by a digit: `$tag$ ... $tag$` or `$$ ... $$`.
  bool dollar_string() {
    std::size_t p = pos_ + 1;
    if (at(p) != '$') {
      if (!is_ident_start(at(p))) return false;
      while (p < s_.size() && (is_ident_start(at(p)) || is_digit(at(p))))
        ++p;
      if (at(p) != '$') return false;
    }
    const std::string_view tag = s_.substr(pos_, p + 1 - pos_);
    const std::size_t close = s_.find(tag, p + 1);
    if (close == std::string_view::npos) {
      pos_ = s_.size();
      out_.complete = false;
    } else {
      pos_ = close + tag.size();
    }
    return true;
  }

  std::string_view s_;
  ScanResult& out_;
  std::size_t pos_ = 0;
};

bool is_operand(Tok t) {
  return t == Tok::ident || t == Tok::quoted_ident || t == Tok::literal || t == Tok::rparen ||
         t == Tok::rbracket;
}

class Scanner {
 public:
  Scanner(std::string_view text, ScanResult& out) : text_(text), out_(out), lex_(text, out) {}

  void run() {
    Token t = lex_.next();
    while (t.tok != Tok::end) {
      t = step(t);
    }
    if (with_pending_) out_.kind = StatementKind::select;
    out_.shape = hash_.h ^ (out_.complete ? 0 : 0x5bd1e995ULL);
  }

 private:
  // Handles one token; returns the next one.
  Token step(const Token& t) {
    classify_statement(t);
    switch (t.tok) {
      case Tok::ident: {
        if (t.kw == Kw::where || t.kw == Kw::on || t.kw == Kw::having) seen_where_ = true;
        if (t.kw == Kw::from) out_.has_from = true;
        if (depth_ == 0 && t.kw == Kw::values)
          in_values_ = true;
        else if (depth_ == 0 && t.kw != Kw::none)
          in_values_ = false;
        hash_.mix(1);
        hash_.bytes(lex_.text(t));
        push_history(t);
        Token n = lex_.next();
        if ((t.kw == Kw::in && n.tok == Tok::lparen) ||
            (t.kw == Kw::array && n.tok == Tok::lbracket)) {
          if (try_list(n.tok == Tok::lparen ? Tok::rparen : Tok::rbracket)) return lex_.next();
        }
        return n;
      }
      case Tok::literal:
        add_literal(t, t.offset, context_for_value());
        hash_.mix(2);
        push_history(t);
        return lex_.next();
      case Tok::op: {
        const std::string_view op = lex_.text(t);
        if ((op == "-" || op == "+") && !is_operand(hist_[0].tok)) {
          const Token n = lex_.next();
          if (n.tok == Tok::literal && n.literal == LiteralKind::number) {
            add_literal(n, t.offset, context_for_value());
            hash_.mix(2);
            push_history(n);
            return lex_.next();
          }
          hash_.mix(3);
          hash_.bytes(op);
          push_history(t);
          return n;
        }
        hash_.mix(3);
        hash_.bytes(op);
        push_history(t);
        return lex_.next();
      }
      case Tok::lparen:
        if (depth_ == 0 && in_values_) ++out_.values_rows;
        ++depth_;
        break;
      case Tok::rparen:
        if (depth_ > 0) --depth_;
        break;
      case Tok::quoted_ident:
        hash_.mix(4);
        hash_.bytes(lex_.text(t));
        push_history(t);
        return lex_.next();
      default:
        break;
    }
    hash_.mix(16U + static_cast<std::uint64_t>(t.tok));
    if (t.tok == Tok::other) hash_.bytes(lex_.text(t));
    push_history(t);
    return lex_.next();
  }

  void classify_statement(const Token& t) {
    ++tokens_;
    if (t.tok != Tok::ident) return;
    if (!classified_) {
      classified_ = true;
      switch (t.kw) {
        case Kw::select:
        case Kw::values:
        case Kw::table:
        case Kw::show:
          out_.kind = StatementKind::select;
          break;
        case Kw::insert:
          out_.kind = StatementKind::insert;
          break;
        case Kw::update:
          out_.kind = StatementKind::update;
          break;
        case Kw::delete_:
          out_.kind = StatementKind::delete_;
          break;
        case Kw::with:
          with_pending_ = true;
          break;
        case Kw::begin:
        case Kw::start:
          out_.kind = StatementKind::begin;
          break;
        case Kw::commit:
        case Kw::end:
          out_.kind = StatementKind::commit;
          break;
        case Kw::rollback:
        case Kw::abort:
          out_.kind = StatementKind::rollback;
          break;
        case Kw::savepoint:
        case Kw::release:
          out_.kind = StatementKind::savepoint;
          break;
        case Kw::set:
        case Kw::reset:
          out_.kind = StatementKind::set;
          break;
        default:
          break;
      }
      return;
    }
    if (out_.kind == StatementKind::rollback && t.kw == Kw::to)
      out_.kind = StatementKind::savepoint;
    if (with_pending_ && depth_ == 0 && hist_[0].tok == Tok::rparen) {
      switch (t.kw) {
        case Kw::select:
          out_.kind = StatementKind::select;
          with_pending_ = false;
          break;
        case Kw::insert:
          out_.kind = StatementKind::insert;
          with_pending_ = false;
          break;
        case Kw::update:
          out_.kind = StatementKind::update;
          with_pending_ = false;
          break;
        case Kw::delete_:
          out_.kind = StatementKind::delete_;
          with_pending_ = false;
          break;
        default:
          break;
      }
    }
  }

  ValueContext context_for_value() {
    const Token& p = hist_[0];
    if (p.tok == Tok::op && lex_.text(p) == "=" && seen_where_) {
      if (out_.key_column.length == 0 &&
          (hist_[1].tok == Tok::ident || hist_[1].tok == Tok::quoted_ident)) {
        out_.key_column = {hist_[1].offset, hist_[1].length};
      }
      return ValueContext::equality;
    }
    if (p.tok == Tok::ident &&
        (p.kw == Kw::limit || p.kw == Kw::offset || p.kw == Kw::first || p.kw == Kw::next)) {
      return ValueContext::paging;
    }
    if (p.tok == Tok::lparen && hist_[1].tok == Tok::ident &&
        (hist_[1].kw == Kw::any || hist_[1].kw == Kw::some) && hist_[2].tok == Tok::op &&
        lex_.text(hist_[2]) == "=") {
      if (out_.key_column.length == 0 &&
          (hist_[3].tok == Tok::ident || hist_[3].tok == Tok::quoted_ident)) {
        out_.key_column = {hist_[3].offset, hist_[3].length};
      }
      return ValueContext::any_array;
    }
    return ValueContext::other;
  }

  void add_literal(const Token& t, std::uint32_t start, ValueContext ctx, std::uint16_t list = 0) {
    Literal lit;
    lit.span = {start, t.offset + t.length - start};
    lit.kind = t.literal;
    lit.context = ctx;
    lit.list = list;
    if (t.literal == LiteralKind::parameter) {
      unsigned n = 0;
      for (const char c : lex_.text(t).substr(1)) {
        n = std::min(65535U, n * 10U + static_cast<unsigned>(c - '0'));
      }
      lit.parameter = static_cast<std::uint16_t>(n);
      out_.max_parameter = std::max(out_.max_parameter, lit.parameter);
    }
    out_.literals.push_back(lit);
  }

  // After `IN (` or `ARRAY [`: a list made only of values becomes one shape token, whatever its
  // length (libpg_query's fingerprint ignores the length too). Otherwise rewinds.
  bool try_list(Tok close) {
    const std::size_t saved_pos = lex_.position();
    const std::size_t saved_lits = out_.literals.size();
    const std::size_t saved_comments = out_.comments.size();
    const bool in_where = seen_where_;
    const auto index = static_cast<std::uint16_t>(std::min<std::size_t>(out_.lists.size(), 65535));
    std::uint32_t count = 0;
    for (;;) {
      Token v = lex_.next();
      std::uint32_t start = v.offset;
      if (v.tok == Tok::op && (lex_.text(v) == "-" || lex_.text(v) == "+")) {
        v = lex_.next();
        if (v.literal != LiteralKind::number) v.tok = Tok::other;
      }
      if (v.tok != Tok::literal) break;
      add_literal(v, start, in_where ? ValueContext::list : ValueContext::other, index);
      ++count;
      const Token sep = lex_.next();
      if (sep.tok == close) {
        out_.lists.push_back({count});
        hash_.mix(5);
        hist_[0].tok = close;
        return true;
      }
      if (sep.tok != Tok::comma) break;
    }
    lex_.rewind(saved_pos);
    out_.literals.resize(saved_lits);
    out_.comments.resize(saved_comments);
    return false;
  }

  void push_history(const Token& t) {
    hist_[3] = hist_[2];
    hist_[2] = hist_[1];
    hist_[1] = hist_[0];
    hist_[0] = t;
  }

  std::string_view text_;
  ScanResult& out_;
  Lexer lex_;
  ShapeHash hash_;
  std::array<Token, 4> hist_{};
  int depth_ = 0;
  std::size_t tokens_ = 0;
  bool classified_ = false;
  bool with_pending_ = false;
  bool seen_where_ = false;
  bool in_values_ = false;
};

void append_collapsed(std::string& out, std::string_view piece, bool& pending_space) {
  for (const char c : piece) {
    if (is_space(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

}  // namespace

const char* to_string(StatementKind kind) {
  switch (kind) {
    case StatementKind::select:
      return "select";
    case StatementKind::insert:
      return "insert";
    case StatementKind::update:
      return "update";
    case StatementKind::delete_:
      return "delete";
    case StatementKind::begin:
      return "begin";
    case StatementKind::commit:
      return "commit";
    case StatementKind::rollback:
      return "rollback";
    case StatementKind::savepoint:
      return "savepoint";
    case StatementKind::set:
      return "set";
    case StatementKind::other:
      break;
  }
  return "other";
}

void ScanResult::clear() {
  shape = 0;
  kind = StatementKind::other;
  literals.clear();
  lists.clear();
  comments.clear();
  key_column = {};
  values_rows = 0;
  max_parameter = 0;
  has_from = false;
  complete = true;
}

void scan_sql(std::string_view text, ScanResult& out) {
  out.clear();
  if (text.size() > 0xffffffffU) text = text.substr(0, 0xffffffffU);
  Scanner scanner(text, out);
  scanner.run();
}

std::string strip_comments(std::string_view text, const ScanResult& scan) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const Span& c : scan.comments) {
    if (c.offset < pos || c.offset > text.size()) continue;
    out.append(text.substr(pos, c.offset - pos));
    out.push_back(' ');
    pos = std::min<std::size_t>(text.size(), std::size_t{c.offset} + c.length);
  }
  out.append(text.substr(std::min(pos, text.size())));
  return out;
}

std::string redact(std::string_view text, const ScanResult& scan) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  std::size_t pos = 0;
  std::size_t ci = 0;
  std::size_t li = 0;
  unsigned next_param = scan.max_parameter;
  while (pos < text.size()) {
    const std::size_t next_comment =
        ci < scan.comments.size() ? scan.comments[ci].offset : text.size();
    const std::size_t next_literal =
        li < scan.literals.size() ? scan.literals[li].span.offset : text.size();
    const std::size_t stop = std::min({next_comment, next_literal, text.size()});
    if (stop > pos) append_collapsed(out, text.substr(pos, stop - pos), pending_space);
    pos = std::max(pos, stop);
    if (pos >= text.size()) break;
    if (ci < scan.comments.size() && scan.comments[ci].offset == pos &&
        (li >= scan.literals.size() || scan.literals[li].span.offset != pos)) {
      pending_space = !out.empty();
      pos += scan.comments[ci].length;
      ++ci;
    } else if (li < scan.literals.size() && scan.literals[li].span.offset == pos) {
      const Literal& lit = scan.literals[li];
      // Keep `$n` a token of its own: `$` + `$1` would open a dollar quote, `a` + `$1` extend
      // an identifier.
      if (pending_space ||
          (!out.empty() && is_ident_char(static_cast<unsigned char>(out.back())))) {
        out.push_back(' ');
      }
      pending_space = false;
      if (lit.kind == LiteralKind::parameter) {
        out += fmt::format("${}", lit.parameter);
      } else {
        out += fmt::format("${}", ++next_param);
      }
      pos += lit.span.length;
      ++li;
      if (pos < text.size() && is_ident_char(static_cast<unsigned char>(text[pos]))) {
        pending_space = true;
      }
    } else {
      // Spans out of order (cannot happen for scan_sql output): skip what is behind.
      if (ci < scan.comments.size() && scan.comments[ci].offset < pos) ++ci;
      if (li < scan.literals.size() && scan.literals[li].span.offset < pos) ++li;
    }
    while (ci < scan.comments.size() && scan.comments[ci].offset < pos)
      ++ci;
    while (li < scan.literals.size() && scan.literals[li].span.offset < pos)
      ++li;
  }
  return out;
}

std::string literal_text(std::string_view text, const Literal& literal) {
  if (std::size_t{literal.span.offset} + literal.span.length > text.size()) return {};
  std::string_view s = text.substr(literal.span.offset, literal.span.length);
  std::string out;
  switch (literal.kind) {
    case LiteralKind::number:
    case LiteralKind::parameter:
      if (!s.empty() && s.front() == '+') s.remove_prefix(1);
      return std::string(s);
    case LiteralKind::dollar_string: {
      const std::size_t open = s.find('$', 1);
      if (open == std::string_view::npos) return {};
      const std::size_t tag_len = open + 1;
      if (s.size() < 2 * tag_len) return std::string(s.substr(tag_len));
      return std::string(s.substr(tag_len, s.size() - 2 * tag_len));
    }
    case LiteralKind::string:
    case LiteralKind::bit_string:
    case LiteralKind::escape_string: {
      const std::size_t q = s.find('\'');
      if (q == std::string_view::npos) return {};
      s.remove_prefix(q + 1);
      if (!s.empty() && s.back() == '\'') s.remove_suffix(1);
      const bool esc = literal.kind == LiteralKind::escape_string;
      out.reserve(s.size());
      for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
          out.push_back('\'');
          ++i;
        } else if (esc && c == '\\' && i + 1 < s.size()) {
          const char e = s[++i];
          switch (e) {
            case 'n':
              out.push_back('\n');
              break;
            case 't':
              out.push_back('\t');
              break;
            case 'r':
              out.push_back('\r');
              break;
            case 'b':
              out.push_back('\b');
              break;
            case 'f':
              out.push_back('\f');
              break;
            default:
              out.push_back(e);
              break;
          }
        } else {
          out.push_back(c);
        }
      }
      return out;
    }
  }
  return out;
}

std::vector<std::string> array_elements(std::string_view a) {
  std::vector<std::string> out;
  while (!a.empty() && is_space(static_cast<unsigned char>(a.front())))
    a.remove_prefix(1);
  while (!a.empty() && is_space(static_cast<unsigned char>(a.back())))
    a.remove_suffix(1);
  if (a.size() < 2 || a.front() != '{' || a.back() != '}') return out;
  a = a.substr(1, a.size() - 2);
  std::string cur;
  bool quoted = false;
  bool was_quoted = false;
  bool any = false;
  auto flush = [&] {
    if (!was_quoted) {
      while (!cur.empty() && is_space(static_cast<unsigned char>(cur.back())))
        cur.pop_back();
    }
    out.push_back(std::move(cur));
    cur.clear();
    was_quoted = false;
  };
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = a[i];
    any = true;
    if (quoted) {
      if (c == '\\' && i + 1 < a.size()) {
        cur.push_back(a[++i]);
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
      was_quoted = true;
    } else if (c == ',') {
      flush();
    } else if (!(cur.empty() && is_space(static_cast<unsigned char>(c)))) {
      cur.push_back(c);
    }
  }
  if (any) flush();
  return out;
}

void lift_literals(std::string_view text, const ScanResult& scan, const ValueHasher& hasher,
                   std::vector<Parameter>& out, std::size_t max_elements) {
  out.clear();
  for (const Literal& lit : scan.literals) {
    if (lit.kind == LiteralKind::parameter) continue;
    Parameter p;
    const std::string value = literal_text(text, lit);
    p.hash = hasher.hash_text(value);
    if (lit.context == ValueContext::any_array && lit.kind != LiteralKind::number) {
      const auto elements = array_elements(value);
      if (!elements.empty() || value.find('{') != std::string::npos) {
        p.array_length =
            static_cast<std::int32_t>(std::min<std::size_t>(elements.size(), 1U << 30U));
        for (std::size_t i = 0; i < elements.size() && i < max_elements; ++i) {
          p.elements.push_back(hasher.hash_text(elements[i]));
        }
      }
    }
    out.push_back(std::move(p));
  }
}

int trailing_comment(std::string_view text, const ScanResult& scan) {
  if (scan.comments.empty()) return -1;
  const Span& last = scan.comments.back();
  if (text.substr(last.offset, 2) != "/*") return -1;
  const std::size_t end = std::size_t{last.offset} + last.length;
  for (std::size_t i = end; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!is_space(c) && c != ';') return -1;
  }
  return static_cast<int>(scan.comments.size() - 1);
}

}  // namespace pgtally::analyzer
