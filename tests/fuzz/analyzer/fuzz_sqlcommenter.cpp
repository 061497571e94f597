// Any bytes as a statement with a trailing comment, and as a bare comment body: the
// sqlcommenter parser must never crash, and what it returns must be bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analyzer/literal_scanner.hpp"
#include "analyzer/sqlcommenter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  pgtally::analyzer::ScanResult scan;
  pgtally::analyzer::scan_sql(input, scan);
  const auto tags = pgtally::analyzer::sqlcommenter_tags(input, scan);
  const auto request = pgtally::analyzer::interpret_tags(tags);
  if (tags.size() > 32 || request.request_id.size() > 512) std::abort();
  if (const auto body = pgtally::analyzer::parse_sqlcommenter(input)) {
    for (const auto& [key, value] : *body) {
      if (key.empty() || key.size() > 512 || value.size() > 512) std::abort();
    }
  }
  (void)pgtally::analyzer::trace_id_from_traceparent(input);
  return 0;
}
