// sqlcommenter tags (https://google.github.io/sqlcommenter/spec): the trailing
// `/*key='value',...*/` comment frameworks add to each statement. The analyzer reads request
// ids, trace ids, routes and the reference ORM's `db_pool_wait_ms` from it. Never throws.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analyzer/literal_scanner.hpp"

namespace pgtally::analyzer {

using Tags = std::vector<std::pair<std::string, std::string>>;

// Parses the body of a comment (between `/*` and `*/`). Keys and values are URL-decoded and
// unescaped (`\'`). A malformed body (missing quotes, `=`, bad escapes) yields nullopt: the
// comment is then just a comment.
[[nodiscard]] std::optional<Tags> parse_sqlcommenter(std::string_view body);

// The tags of the statement's trailing comment (the spec's rule: the last thing in the
// statement, only whitespace or `;` after it), or empty.
[[nodiscard]] Tags sqlcommenter_tags(std::string_view text, const ScanResult& scan);

// The 32-hex-digit trace id of a W3C traceparent (`00-<trace id>-<span id>-<flags>`), or empty
// when malformed or all zeros.
[[nodiscard]] std::string trace_id_from_traceparent(std::string_view traceparent);

// What the analyzer takes from a statement's tags (its own or the producer's).
struct RequestTags {
  std::string request_id;  // `request_id`, else the traceparent's trace id; empty: untagged
  std::string route;
  std::string controller;
  std::string action;
  std::string framework;
  std::string source;                                  // file:line
  std::optional<std::chrono::microseconds> pool_wait;  // `db_pool_wait_ms`
};

// Later entries win (producer tags first, then the comment's).
[[nodiscard]] RequestTags interpret_tags(const Tags& tags);

}  // namespace pgtally::analyzer
