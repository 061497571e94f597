#include "orm/request_scope.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace pgtally::orm {
namespace {

// The sanctioned thread-local: the innermost request scope of this thread.
thread_local const RequestContext* current_scope = nullptr;  // NOLINT

std::string base_name(const char* file) {
  const std::string_view path(file == nullptr ? "" : file);
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

Tags RequestContext::tags() const {
  Tags tags;
  if (!request_id.empty()) tags.emplace_back("request_id", request_id);
  if (!route.empty()) tags.emplace_back("route", route);
  if (!source.empty()) tags.emplace_back("source", source);
  for (const auto& [key, value] : extra) {
    if (!value.empty()) tags.emplace_back(key, value);
  }
  std::sort(tags.begin(), tags.end());
  return tags;
}

RequestScope::RequestScope(std::string request_id, std::string route, Tags extra, const char* file,
                           int line)
    : context_{std::move(request_id), std::move(route), fmt::format("{}:{}", base_name(file), line),
               std::move(extra)},
      previous_(current_scope) {
  current_scope = &context_;
}

RequestScope::RequestScope(RequestContext adopted)
    : context_(std::move(adopted)), previous_(current_scope) {
  current_scope = &context_;
}

RequestScope::~RequestScope() {
  current_scope = previous_;
}

const RequestContext* RequestScope::current() {
  return current_scope;
}

std::optional<RequestContext> RequestScope::capture() {
  if (current_scope == nullptr) return std::nullopt;
  return *current_scope;
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string sqlcommenter_comment(Tags tags) {
  if (tags.empty()) return {};
  std::sort(tags.begin(), tags.end());
  std::string out = "/*";
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ',';
    // Percent-encoding leaves no quote, backslash or "*/" in the value.
    out += fmt::format("{}='{}'", url_encode(tags[i].first), url_encode(tags[i].second));
  }
  out += "*/";
  return out;
}

}  // namespace pgtally::orm
