#include "proxy/http_api.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "proxy/web_page.hpp"

namespace pgtally {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 10000;

HttpResponse json_response(unsigned status, const nlohmann::json& body) {
  return {status,
          std::string(kJson),
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          {}};
}

HttpResponse error_response(unsigned status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

// Compares without leaking, through timing, how much of a guess was right.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i % std::max<std::size_t>(b.size(), 1)]);
  return diff == 0 && !b.empty();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t parse_limit(std::string_view text) {
  std::size_t value = kDefaultLimit;
  if (text.empty()) return value;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) return 0;
  return std::min(value, kMaxLimit);
}

int severity_rank(const analyzer::FindingGroup& g) {
  return static_cast<int>(g.severity);
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_digit(text[i + 1]);
      const int lo = hex_digit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && text[i] == '+' ? ' ' : text[i];
  }
  return out;
}

std::string query_parameter(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string()
                                          : percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

HttpApi::HttpApi(HttpApiSources sources, std::string token)
    : sources_(std::move(sources)),
      token_(std::move(token)),
      clock_{analyzer::Clock::now(), std::chrono::system_clock::now()} {}

bool HttpApi::authorized(const HttpRequest& request, std::string_view query) const {
  if (token_.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (request.authorization.starts_with(kBearer)) {
    return same_secret(request.authorization.substr(kBearer.size()), token_);
  }
  return same_secret(query_parameter(query, "token"), token_);
}

HttpResponse HttpApi::handle(const HttpRequest& request) const {
  const std::size_t question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : request.target.substr(question + 1);
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse r = error_response(405, "method_not_allowed", "only GET and HEAD are served");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (path == "/metrics") {
    return {
        200, std::string(kMetricsType), sources_.metrics ? sources_.metrics() : std::string(), {}};
  }
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n", {}};
  if (path == "/readyz") {
    const bool ready = sources_.ready && sources_.ready();
    return {ready ? 200U : 503U,
            "text/plain; charset=utf-8",
            ready ? "ready\n" : "not ready: listeners or analysis not running\n",
            {}};
  }
  const bool page = path == "/" || path == "/index.html";
  const bool api_path = path == "/api" || path.starts_with("/api/");
  if (!page && !api_path) {
    return error_response(404, "not_found",
                          "no such path; see /, /metrics, /healthz, /readyz and /api/...");
  }
  if (!authorized(request, query)) {
    HttpResponse r = error_response(
        401, "unauthorized",
        "this listener is not on loopback: send 'Authorization: Bearer <token>' with the token "
        "from http_token_file or PGTALLY_HTTP_TOKEN");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (page) {
    HttpResponse r{200, "text/html; charset=utf-8", std::string(web_page_html()), {}};
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; script-src 'unsafe-inline'; "
                           "style-src 'unsafe-inline'; img-src data:");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  return api(path, query);
}

HttpResponse HttpApi::api(std::string_view path, std::string_view query) const {
  analyzer::Analyzer* a = sources_.analyzer;
  if (a == nullptr) {
    return error_response(503, "analysis_off",
                          "analysis is off (--no-analysis): no requests or findings are kept");
  }
  constexpr std::string_view kRequest = "/api/requests/";
  if (path == "/api/requests") {
    const std::size_t limit = parse_limit(query_parameter(query, "limit"));
    if (limit == 0) {
      return error_response(400, "bad_limit", "limit must be a whole number from 1 to 10000");
    }
    const std::string route = query_parameter(query, "route");
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : a->requests(route.empty() ? limit : kMaxLimit)) {
      if (!route.empty() && r.route != route) continue;
      if (list.size() >= limit) break;
      list.push_back(analyzer::to_json(r, clock_));
    }
    return json_response(200, {{"requests", std::move(list)}});
  }
  if (path.starts_with(kRequest) && path.size() > kRequest.size()) {
    const std::string id = percent_decode(path.substr(kRequest.size()));
    const auto r = a->request(id);
    if (!r) {
      return error_response(404, "unknown_request",
                            "no request with this id: not seen yet, or no longer kept");
    }
    nlohmann::json j = analyzer::to_json(*r, clock_, true);
    nlohmann::json findings = nlohmann::json::array();
    if (!r->findings.empty()) {
      const auto groups = a->findings();
      for (const auto& ref : r->findings) {
        const auto it =
            std::find_if(groups.begin(), groups.end(),
                         [&](const analyzer::FindingGroup& g) { return g.id == ref.id; });
        if (it != groups.end()) findings.push_back(analyzer::to_json(*it, clock_));
      }
    }
    j["findings"] = std::move(findings);
    return json_response(200, j);
  }
  if (path == "/api/findings") {
    auto groups = a->findings();
    std::sort(groups.begin(), groups.end(),
              [](const analyzer::FindingGroup& x, const analyzer::FindingGroup& y) {
                if (severity_rank(x) != severity_rank(y))
                  return severity_rank(x) > severity_rank(y);
                if (x.occurrences != y.occurrences) return x.occurrences > y.occurrences;
                return x.id < y.id;
              });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& g : groups)
      list.push_back(analyzer::to_json(g, clock_));
    return json_response(200, {{"findings", std::move(list)}});
  }
  if (path == "/api/fingerprints") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : a->fingerprints())
      list.push_back(analyzer::to_json(s));
    return json_response(200, {{"fingerprints", std::move(list)}});
  }
  if (path == "/api/connections") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : a->connections())
      list.push_back(analyzer::to_json(c, clock_));
    nlohmann::json pool = a->pool_json(clock_);
    pool["connections"] = std::move(list);
    return json_response(200, pool);
  }
  if (path == "/api" || path == "/api/") {
    return json_response(200, {{"endpoints",
                                {"/api/requests", "/api/requests/{id}", "/api/findings",
                                 "/api/fingerprints", "/api/connections"}}});
  }
  return error_response(404, "not_found", "no such API path; see /api");
}

}  // namespace pgtally
