// Any bytes as SQL: the scanner must never crash, its spans must stay inside the text, and the
// redacted text must hold no literal (rescanning it finds only `$n` parameters).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/event.hpp"
#include "analyzer/literal_scanner.hpp"
#include "analyzer/value_hasher.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pgtally::analyzer;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ScanResult scan;
  scan_sql(input, scan);
  for (const Literal& lit : scan.literals) {
    if (std::size_t{lit.span.offset} + lit.span.length > input.size()) std::abort();
    if (lit.context == ValueContext::list && lit.list >= scan.lists.size()) std::abort();
    (void)literal_text(input, lit);
  }
  for (const Span& c : scan.comments) {
    if (std::size_t{c.offset} + c.length > input.size()) std::abort();
  }
  const std::string redacted = redact(input, scan);
  ScanResult again;
  scan_sql(redacted, again);
  for (const Literal& lit : again.literals) {
    if (lit.kind != LiteralKind::parameter) std::abort();
  }
  (void)strip_comments(input, scan);
  (void)trailing_comment(input, scan);
  const ValueHasher hasher({1, 2});
  std::vector<Parameter> params;
  lift_literals(input, scan, hasher, params);
  (void)array_elements(input);
  return 0;
}
