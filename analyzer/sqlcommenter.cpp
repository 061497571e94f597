#include "analyzer/sqlcommenter.hpp"

#include <cmath>
#include <cstddef>
#include <cstdlib>

namespace pgtally::analyzer {
namespace {

constexpr std::size_t kMaxTags = 32;
constexpr std::size_t kMaxTagLength = 512;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes the meta-character escaping (`\'` and `\\`), then the URL encoding.
std::optional<std::string> decode(std::string_view s) {
  std::string unescaped;
  unescaped.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (i + 1 >= s.size()) return std::nullopt;
      unescaped.push_back(s[++i]);
    } else {
      unescaped.push_back(s[i]);
    }
  }
  std::string out;
  out.reserve(unescaped.size());
  for (std::size_t i = 0; i < unescaped.size(); ++i) {
    if (unescaped[i] == '%') {
      if (i + 2 >= unescaped.size()) return std::nullopt;
      const int hi = hex_value(unescaped[i + 1]);
      const int lo = hex_value(unescaped[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(unescaped[i]);
    }
  }
  if (out.size() > kMaxTagLength) return std::nullopt;
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_hex(std::string_view s) {
  for (const char c : s) {
    if (hex_value(c) < 0) return false;
  }
  return true;
}

}  // namespace

std::optional<Tags> parse_sqlcommenter(std::string_view body) {
  Tags tags;
  std::size_t pos = 0;
  body = trim(body);
  if (body.empty()) return std::nullopt;
  while (pos < body.size()) {
    // key: up to '='
    const std::size_t eq = body.find('=', pos);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view raw_key = trim(body.substr(pos, eq - pos));
    if (raw_key.empty()) return std::nullopt;
    std::size_t p = eq + 1;
    while (p < body.size() && (body[p] == ' ' || body[p] == '\t'))
      ++p;
    if (p >= body.size() || body[p] != '\'') return std::nullopt;
    // value: quoted, `\'` escaped
    std::size_t q = p + 1;
    bool closed = false;
    while (q < body.size()) {
      if (body[q] == '\\') {
        q += 2;
        continue;
      }
      if (body[q] == '\'') {
        closed = true;
        break;
      }
      ++q;
    }
    if (!closed) return std::nullopt;
    auto key = decode(raw_key);
    auto value = decode(body.substr(p + 1, q - p - 1));
    if (!key || !value || key->empty()) return std::nullopt;
    if (tags.size() >= kMaxTags) return std::nullopt;
    tags.emplace_back(std::move(*key), std::move(*value));
    pos = q + 1;
    while (pos < body.size() &&
           (body[pos] == ' ' || body[pos] == '\t' || body[pos] == '\n' || body[pos] == '\r')) {
      ++pos;
    }
    if (pos < body.size()) {
      if (body[pos] != ',') return std::nullopt;
      ++pos;
      if (trim(body.substr(pos)).empty()) return std::nullopt;  // trailing comma
    }
  }
  return tags;
}

Tags sqlcommenter_tags(std::string_view text, const ScanResult& scan) {
  const int index = trailing_comment(text, scan);
  if (index < 0) return {};
  const Span& c = scan.comments[static_cast<std::size_t>(index)];
  if (c.length < 4 || std::size_t{c.offset} + c.length > text.size()) return {};
  const std::string_view comment = text.substr(c.offset, c.length);
  if (comment.substr(comment.size() - 2) != "*/") return {};  // unterminated
  auto tags = parse_sqlcommenter(comment.substr(2, comment.size() - 4));
  return tags ? std::move(*tags) : Tags{};
}

std::string trace_id_from_traceparent(std::string_view traceparent) {
  const std::string_view tp = trim(traceparent);
  // version(2)-trace_id(32)-parent_id(16)-flags(2); later versions may append fields.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return {};
  if (!is_hex(tp.substr(0, 2)) || tp.substr(0, 2) == "ff") return {};
  const std::string_view trace = tp.substr(3, 32);
  if (!is_hex(trace) || trace.find_first_not_of('0') == std::string_view::npos) return {};
  if (!is_hex(tp.substr(36, 16)) || !is_hex(tp.substr(53, 2))) return {};
  if (tp.substr(0, 2) == "00" && tp.size() != 55) return {};
  std::string out(trace);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

RequestTags interpret_tags(const Tags& tags) {
  RequestTags out;
  std::string trace_id;
  for (const auto& [key, value] : tags) {
    if (key == "request_id") {
      out.request_id = value;
    } else if (key == "traceparent") {
      if (auto id = trace_id_from_traceparent(value); !id.empty()) trace_id = std::move(id);
    } else if (key == "route") {
      out.route = value;
    } else if (key == "controller") {
      out.controller = value;
    } else if (key == "action") {
      out.action = value;
    } else if (key == "framework") {
      out.framework = value;
    } else if (key == "source" || key == "file") {
      out.source = value;
    } else if (key == "db_pool_wait_ms") {
      char* end = nullptr;
      const double ms = std::strtod(value.c_str(), &end);
      if (end != value.c_str() && *end == '\0' && std::isfinite(ms) && ms >= 0 && ms < 1e9) {
        out.pool_wait = std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000.0));
      }
    }
  }
  if (out.request_id.empty()) out.request_id = std::move(trace_id);
  return out;
}

}  // namespace pgtally::analyzer
