#include "analyzer/lookup_keys.hpp"

#include <algorithm>

#include "analyzer/value_hasher.hpp"

namespace pgtally::analyzer {

LookupKeys lookup_keys(const ScanResult& scan, const std::vector<Parameter>& parameters,
                       Protocol protocol) {
  LookupKeys out;
  std::uint64_t key_hash = 0x51ed270b27cd5f3aULL;
  std::uint64_t values_hash = 0x1f83d9abfb41bd6bULL;
  std::size_t next_lifted = 0;
  bool any_key = false;
  bool unknown_array = false;
  std::uint32_t largest = 0;
  std::uint32_t singles = 0;
  auto add_key = [&](ValueHash h) {
    key_hash = hash_combine(key_hash, h);
    if (out.keys.size() < LookupKeys::kMaxKeys) out.keys.push_back(h);
  };
  for (const Literal& lit : scan.literals) {
    const Parameter* p = nullptr;
    if (lit.kind == LiteralKind::parameter) {
      if (lit.parameter >= 1 && lit.parameter <= parameters.size())
        p = &parameters[lit.parameter - 1U];
    } else if (protocol == Protocol::simple) {
      if (next_lifted < parameters.size()) p = &parameters[next_lifted];
      ++next_lifted;
    }
    const ValueHash h = p != nullptr ? (p->is_null ? 0x6e756c6cULL : p->hash) : 0;
    values_hash = hash_combine(values_hash, h);
    if (scan.kind == StatementKind::insert && p != nullptr && !p->is_null &&
        lit.context != ValueContext::paging) {
      if (p->elements.empty()) {
        if (out.values.size() < LookupKeys::kMaxKeys) out.values.push_back(h);
      } else {
        for (const ValueHash e : p->elements) {
          if (out.values.size() < LookupKeys::kMaxKeys) out.values.push_back(e);
        }
      }
    }
    if (p != nullptr) {
      for (const ValueHash e : p->elements)
        values_hash = hash_combine(values_hash, e);
    }
    switch (lit.context) {
      case ValueContext::equality:
        if (p == nullptr) break;  // a constant in the text: the same on every execution
        any_key = true;
        ++singles;
        add_key(h);
        break;
      case ValueContext::list:
        any_key = true;
        if (lit.list < scan.lists.size())
          largest = std::max(largest, scan.lists[lit.list].elements);
        if (p != nullptr) add_key(h);
        break;
      case ValueContext::any_array:
        any_key = true;
        if (p == nullptr || p->array_length < 0) {
          unknown_array = true;
        } else {
          largest = std::max(largest, static_cast<std::uint32_t>(p->array_length));
          for (const ValueHash e : p->elements)
            add_key(e);
        }
        break;
      case ValueContext::other:
      case ValueContext::paging:
        break;
    }
  }
  out.key_hash = key_hash;
  out.values_hash = values_hash;
  if (!any_key || unknown_array) {
    out.count = 0;
  } else if (largest > 0) {
    out.count = largest;
  } else {
    out.count = singles > 0 ? 1 : 0;
  }
  return out;
}

}  // namespace pgtally::analyzer
