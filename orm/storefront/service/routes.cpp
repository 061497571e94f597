#include "orm/storefront/service/routes.hpp"

#include <charconv>
#include <functional>
#include <optional>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orm/errors.hpp"
#include "orm/request_scope.hpp"
#include "orm/storefront/service/pages.hpp"

namespace pgtally::storefront {
namespace {

using nlohmann::json;

// An answer other than 200, with a code a client can branch on.
struct RouteError {
  unsigned status;
  std::string code;
  std::string message;
};

struct Target {
  std::vector<std::string_view> segments;  // the path split at '/', empty ones dropped
  std::string_view query;                  // after '?', undecoded
};

Target split_target(std::string_view target) {
  Target out;
  const auto question = target.find('?');
  if (question != std::string_view::npos) {
    out.query = target.substr(question + 1);
    target = target.substr(0, question);
  }
  while (!target.empty()) {
    const auto slash = target.find('/');
    const std::string_view part = target.substr(0, slash);
    if (!part.empty()) out.segments.push_back(part);
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
std::optional<std::string> url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The decoded value of `name` in a query string; nothing when absent.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!value) {
        throw RouteError{400, "bad_request",
                         fmt::format("query parameter '{}' is not valid percent-encoding", name)};
      }
      return value;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// A positive 64-bit id, or a 404 naming what was asked for.
std::int64_t parse_id(std::string_view text, std::string_view what) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    throw RouteError{
        404, "not_found",
        fmt::format("no {} with id '{}': ids are positive integers", what, text.substr(0, 40))};
  }
  return id;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > Routes::kMaxRequestId) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// A matched route: its pattern (the sqlcommenter route tag) and the work that answers it.
struct Match {
  std::string route;
  std::function<json()> run;
};

json found(std::optional<json> page, std::string_view what, std::int64_t id) {
  if (!page) throw RouteError{404, "not_found", fmt::format("no {} with id {}", what, id)};
  return std::move(*page);
}

Match match(orm::Database& db, const RouteOptions& options, const Target& t) {
  const auto& s = t.segments;
  if (s.size() == 1) {
    if (s[0] == "products") return {"/products", [&db] { return pages::products_lazy(db); }};
    if (s[0] == "products-eager") {
      return {"/products-eager", [&db] { return pages::products_eager(db); }};
    }
    if (s[0] == "categories") return {"/categories", [&db] { return pages::categories_lazy(db); }};
    if (s[0] == "categories-eager") {
      return {"/categories-eager", [&db] { return pages::categories_eager(db); }};
    }
    if (s[0] == "report") return {"/report", [&db] { return pages::report(db); }};
    if (s[0] == "healthz") return {"/healthz", [] { return json{{"status", "ok"}}; }};
    if (s[0] == "search") {
      auto text = query_parameter(t.query, "q");
      if (!text || text->empty()) {
        throw RouteError{400, "bad_request",
                         "search needs a non-empty q parameter: /search?q=lamp"};
      }
      return {"/search", [&db, text = std::move(*text)] { return pages::search(db, text); }};
    }
  }
  if (s.size() == 3 && s[0] == "users" && s[2] == "orders") {
    const std::int64_t id = parse_id(s[1], "user");
    return {"/users/{id}/orders",
            [&db, id] { return found(pages::user_orders(db, id), "user", id); }};
  }
  if (s.size() == 3 && s[0] == "orders" && s[2] == "slow-checkout") {
    const std::int64_t id = parse_id(s[1], "order");
    const auto idle = options.idle_in_transaction;
    return {"/orders/{id}/slow-checkout",
            [&db, id, idle] { return found(pages::slow_checkout(db, id, idle), "order", id); }};
  }
  throw RouteError{404, "not_found", "no such route; see the storefront's README section"};
}

// Invalid UTF-8 (from the database, or echoed input) is replaced, not thrown about.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_body(const RouteError& e, const std::string& request_id) {
  return dump(
      json{{"error", {{"code", e.code}, {"message", e.message}}}, {"request_id", request_id}});
}

}  // namespace

Routes::Routes(orm::Database& db, RouteOptions options)
    : db_(&db), options_(options), counter_(db), nonce_(std::random_device{}()) {}

std::string Routes::next_request_id() {
  return fmt::format("sf-{:08x}-{}", nonce_ & 0xffffffffU, ++sequence_);
}

HttpResponse Routes::handle(const HttpRequest& request) {
  HttpResponse response;
  try {
    if (request.request_id && !valid_request_id(*request.request_id)) {
      response.request_id = next_request_id();
      throw RouteError{
          400, "bad_request",
          fmt::format("X-Request-Id must be 1 to {} letters, digits or '-_.:'", kMaxRequestId)};
    }
    response.request_id = request.request_id ? *request.request_id : next_request_id();
    if (request.method != "GET" && request.method != "HEAD") {
      throw RouteError{405, "method_not_allowed", "the storefront only answers GET"};
    }
    const Match m = match(*db_, options_, split_target(request.target));
    std::optional<orm::RequestScope> scope;
    // The source tag names this line (emplace would otherwise name the standard library's).
    if (options_.tags) {
      scope.emplace(response.request_id, m.route, orm::Tags{}, __builtin_FILE(), __builtin_LINE());
    }
    const QueryCounter::Tally tally(counter_);
    json body = m.run();
    body["queries"] = tally.count();
    body["request_id"] = response.request_id;
    body["route"] = m.route;
    response.body = dump(body);
  } catch (const RouteError& e) {
    response.status = e.status;
    response.body = error_body(e, response.request_id);
  } catch (const orm::PoolTimeoutError& e) {
    response.status = 503;
    response.body = error_body({503, e.code(), e.what()}, response.request_id);
  } catch (const orm::ConnectionError& e) {
    response.status = 503;
    response.body = error_body({503, e.code(), e.what()}, response.request_id);
  } catch (const orm::Error& e) {
    response.status = 500;
    response.body = error_body({500, e.code(), e.what()}, response.request_id);
  } catch (const std::exception& e) {
    response.status = 500;
    response.body = error_body({500, "internal", e.what()}, response.request_id);
  }
  return response;
}

}  // namespace pgtally::storefront
