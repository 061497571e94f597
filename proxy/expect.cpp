#include "proxy/expect.hpp"

#include <thread>

#include <fmt/format.h>

#include "proxy/config.hpp"
#include "proxy/http_client.hpp"

namespace pgtally {
namespace {

constexpr std::chrono::milliseconds kPollInterval{200};
constexpr std::chrono::milliseconds kRequestTimeout{5000};

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

template <typename T>
T value_or(const nlohmann::json& j, const char* key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

void write_report(const nlohmann::json& r, std::ostream& out) {
  out << fmt::format(
      "request {} ({}, {}): {} queries, {:.1f} ms in the database, {} connection(s)\n",
      value_or<std::string>(r, "id", "?"), value_or<std::string>(r, "route", "no route"),
      value_or<std::string>(r, "attribution", "?"), value_or<std::uint64_t>(r, "queries", 0),
      value_or<double>(r, "db_time_ms", 0), value_or<std::uint64_t>(r, "connections", 0));
  out << "queries by fingerprint:\n";
  for (const auto& f : r.value("by_fingerprint", nlohmann::json::array())) {
    out << fmt::format("  {:>5} x  {:>8.2f} ms  {}\n", value_or<std::uint64_t>(f, "calls", 0),
                       value_or<double>(f, "time_ms", 0),
                       value_or<std::string>(f, "normalized_query", ""));
  }
  const auto findings = r.value("findings", nlohmann::json::array());
  if (findings.empty()) {
    out << "findings: none\n";
    return;
  }
  out << "findings:\n";
  for (const auto& g : findings) {
    out << fmt::format("  {} ({} executions): {}\n", value_or<std::string>(g, "kind", "?"),
                       value_or<std::uint64_t>(g, "count", 0),
                       value_or<std::string>(g, "normalized_query", ""));
    const auto parent =
        value_or<std::string>(g.value("parent", nlohmann::json::object()), "normalized_query", "");
    if (!parent.empty()) out << fmt::format("    after: {}\n", parent);
    const auto fix = value_or<std::string>(g, "fix", "");
    if (!fix.empty()) out << fmt::format("    fix: {}\n", fix);
  }
}

}  // namespace

ExpectExit judge_request(const nlohmann::json& r, const RunExpect& options, std::ostream& out) {
  write_report(r, out);
  if (!value_or<bool>(r, "complete", false)) {
    out << "INCOMPLETE: pgtally dropped events of this request (it fell behind), so its counts "
           "are lower bounds; nothing is asserted on incomplete data\n";
    return ExpectExit::incomplete;
  }
  bool failed = false;
  const auto queries = value_or<std::uint64_t>(r, "queries", 0);
  if (options.max_queries && queries > *options.max_queries) {
    out << fmt::format("FAILED: {} queries, more than --max-queries {}\n", queries,
                       *options.max_queries);
    failed = true;
  }
  if (options.no_n_plus_one) {
    for (const auto& g : r.value("findings", nlohmann::json::array())) {
      if (value_or<std::string>(g, "kind", "") == "n_plus_one") {
        out << "FAILED: an N+1 was found (see above)\n";
        failed = true;
        break;
      }
    }
  }
  if (!failed) out << "PASSED\n";
  return failed ? ExpectExit::failed : ExpectExit::passed;
}

int run_expect(const RunExpect& options, std::ostream& out) {
  const auto read = read_http_token(options.token_file);
  if (const auto* error = std::get_if<ConfigError>(&read)) {
    out << "pgtally expect: " << error->message << "\n";
    return static_cast<int>(ExpectExit::usage);
  }
  const std::string& token = std::get<std::string>(read);
  const std::string target = "/api/requests/" + url_encode(options.request_id);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::string last_problem = "no answer yet";
  bool seen = false;
  for (;;) {
    const auto result = http_get(options.http, target, token, kRequestTimeout);
    if (!result.reached) {
      last_problem = result.error;
    } else if (result.status == 200) {
      const auto body = nlohmann::json::parse(result.body, nullptr, false);
      if (body.is_discarded()) {
        out << "pgtally expect: the API answered with something that is not JSON\n";
        return static_cast<int>(ExpectExit::unreachable);
      }
      seen = true;
      if (value_or<bool>(body, "finished", false)) {
        return static_cast<int>(judge_request(body, options, out));
      }
    } else if (result.status == 404) {
      last_problem = "unknown request";
    } else {
      out << fmt::format("pgtally expect: {} answered HTTP {}: {}\n", options.http, result.status,
                         result.body.substr(0, 500));
      return static_cast<int>(ExpectExit::unreachable);
    }
    if (std::chrono::steady_clock::now() + kPollInterval >= deadline) break;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (seen) {
    out << fmt::format("pgtally expect: request '{}' had not ended after {} s\n",
                       options.request_id, options.timeout.count());
    return static_cast<int>(ExpectExit::not_finished);
  }
  if (last_problem == "unknown request") {
    out << fmt::format(
        "pgtally expect: request '{}' is unknown to pgtally at {} (never tagged "
        "on a query, or no longer kept)\n",
        options.request_id, options.http);
    return static_cast<int>(ExpectExit::unknown_request);
  }
  out << fmt::format("pgtally expect: cannot ask pgtally at {}: {}\n", options.http, last_problem);
  return static_cast<int>(ExpectExit::unreachable);
}

}  // namespace pgtally
