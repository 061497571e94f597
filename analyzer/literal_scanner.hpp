// A fast, literal-insensitive scan of one SQL statement, without parsing it. The fingerprint
// cache keys on its shape hash; it also strips comments, redacts text that libpg_query cannot
// parse, lifts literals as simple-protocol parameters and counts IN-list / ARRAY elements.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer {

enum class StatementKind : std::uint8_t {
  other,
  select,
  insert,
  update,
  delete_,
  begin,
  commit,
  rollback,
  savepoint,  // SAVEPOINT, RELEASE, ROLLBACK TO
  set,        // SET, RESET
};
[[nodiscard]] const char* to_string(StatementKind kind);
[[nodiscard]] constexpr bool is_write(StatementKind k) {
  return k == StatementKind::insert || k == StatementKind::update || k == StatementKind::delete_;
}
// Transaction control and session settings: ORMs send these without a sqlcommenter comment.
[[nodiscard]] constexpr bool is_control(StatementKind k) {
  return k == StatementKind::begin || k == StatementKind::commit || k == StatementKind::rollback ||
         k == StatementKind::savepoint || k == StatementKind::set;
}

enum class LiteralKind : std::uint8_t {
  number,
  string,
  escape_string,
  dollar_string,
  bit_string,
  parameter
};

// Where a value sits in the statement: what the N+1 detector needs to know about it.
enum class ValueContext : std::uint8_t {
  other,      // select list, SET clause, VALUES, range comparison, ...
  equality,   // `col = value` after WHERE / ON / HAVING: a lookup key
  list,       // element of `IN (...)` or `ARRAY[...]`
  any_array,  // the array in `= ANY(value)`
  paging,     // LIMIT / OFFSET / FETCH FIRST
};

struct Span {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

struct Literal {
  Span span;  // quotes, prefix and unary sign included
  LiteralKind kind = LiteralKind::number;
  ValueContext context = ValueContext::other;
  std::uint16_t list = 0;       // index into ScanResult::lists when context == list
  std::uint16_t parameter = 0;  // n of `$n` when kind == parameter
};

struct ValueList {
  std::uint32_t elements = 0;
};

struct ScanResult {
  std::uint64_t shape = 0;  // same for texts that differ only in literals, comments, list lengths
  StatementKind kind = StatementKind::other;
  std::vector<Literal> literals;  // literals and `$n` parameters, in text order
  std::vector<ValueList> lists;
  std::vector<Span> comments;
  Span key_column;                // identifier before the first equality value (may be empty)
  std::uint32_t values_rows = 0;  // INSERT: tuples after VALUES
  std::uint16_t max_parameter = 0;
  bool has_from = false;  // reads a table (a FROM clause somewhere)
  bool complete = true;   // false: an unterminated quote or comment
  void clear();
};

// Scans `text` into `out` (cleared first; reuse it to avoid allocations). Never fails.
void scan_sql(std::string_view text, ScanResult& out);

// `text` without its comments (each replaced by one space).
[[nodiscard]] std::string strip_comments(std::string_view text, const ScanResult& scan);

// `text` without comments, every literal replaced by `$n` (numbered after the text's own
// parameters), whitespace collapsed. Safe to display: no literal survives.
[[nodiscard]] std::string redact(std::string_view text, const ScanResult& scan);

// The canonical text form of a literal (quotes removed, escapes resolved): what a DataRow or a
// text-format Bind would carry for the same value.
[[nodiscard]] std::string literal_text(std::string_view text, const Literal& literal);

// Elements of an array literal in text form (`{1,2,"x y"}`); empty when not an array literal.
[[nodiscard]] std::vector<std::string> array_elements(std::string_view array_text);

// Simple protocol: the literals of `text` as parameters (hashed, never kept in clear), one per
// literal in text order. `max_elements` bounds the element hashes kept per array literal.
void lift_literals(std::string_view text, const ScanResult& scan, const ValueHasher& hasher,
                   std::vector<Parameter>& out, std::size_t max_elements = 64);

// Index into scan.comments of the comment that ends the statement (only whitespace or `;`
// after it), or -1.
[[nodiscard]] int trailing_comment(std::string_view text, const ScanResult& scan);

}  // namespace pgtally::analyzer
