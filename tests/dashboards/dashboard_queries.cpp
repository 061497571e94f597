#include "tests/dashboards/dashboard_queries.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pgtally::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr std::string_view kRegexMeta = "$^*{}[]'+?.()|";

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

void collect_queries(const json& panels, Dashboard& out) {
  for (const json& panel : panels) {
    if (panel.contains("panels")) collect_queries(panel["panels"], out);
    if (!panel.contains("targets")) continue;
    const std::string title = panel.value("title", "(untitled)");
    for (const json& target : panel["targets"]) {
      if (!target.contains("expr") || !target["expr"].is_string()) {
        throw std::runtime_error(fmt::format("{}: panel \"{}\" target {} has no PromQL expr",
                                             out.file, title, target.value("refId", "?")));
      }
      out.queries.push_back(PanelQuery{title, target.value("refId", ""), target["expr"]});
    }
  }
}

// The built-in variables Grafana fills from the time range (see TimeSettings).
std::map<std::string, std::string, std::less<>> builtins(const TimeSettings& time) {
  const milliseconds range = time.range;
  const milliseconds per_point{(range.count() + time.max_data_points - 1) /
                               std::max(1U, time.max_data_points)};
  const milliseconds interval = std::max(per_point, time.scrape_interval);
  const milliseconds rate_interval =
      std::max(interval + time.scrape_interval, 4 * time.scrape_interval);
  return {{"__interval", prometheus_duration(interval)},
          {"__interval_ms", std::to_string(interval.count())},
          {"__rate_interval", prometheus_duration(rate_interval)},
          {"__range", prometheus_duration(range)},
          {"__range_s", std::to_string(time.range.count())},
          {"__range_ms", std::to_string(range.count())}};
}

}  // namespace

Dashboard read_dashboard(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot be read", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  const json doc = json::parse(text.str(), nullptr, false);
  Dashboard out;
  out.file = path.filename().string();
  if (doc.is_discarded() || !doc.is_object()) {
    throw std::runtime_error(fmt::format("{}: not a JSON object", out.file));
  }
  out.title = doc.value("title", "");
  if (doc.contains("templating") && doc["templating"].contains("list")) {
    for (const json& v : doc["templating"]["list"]) {
      DashboardVariable var;
      var.name = v.value("name", "");
      if (var.name.empty()) {
        throw std::runtime_error(fmt::format("{}: a template variable has no name", out.file));
      }
      var.type = v.value("type", "");
      if (v.contains("query") && v["query"].is_string()) {
        var.query = v["query"];
      } else if (v.contains("query") && v["query"].is_object()) {
        var.query = v["query"].value("query", "");
      }
      var.multi = v.value("multi", false);
      var.include_all = v.value("includeAll", false);
      if (v.contains("allValue") && v["allValue"].is_string() &&
          !v["allValue"].get<std::string>().empty()) {
        var.all_value = v["allValue"].get<std::string>();
      }
      out.variables.push_back(std::move(var));
    }
  }
  if (doc.contains("panels")) collect_queries(doc["panels"], out);
  return out;
}

std::optional<LabelValuesQuery> parse_label_values(std::string_view query) {
  constexpr std::string_view kPrefix = "label_values(";
  while (!query.empty() && std::isspace(static_cast<unsigned char>(query.front())) != 0)
    query.remove_prefix(1);
  while (!query.empty() && std::isspace(static_cast<unsigned char>(query.back())) != 0)
    query.remove_suffix(1);
  if (query.substr(0, kPrefix.size()) != kPrefix || query.back() != ')') return std::nullopt;
  const std::string_view inner = query.substr(kPrefix.size(), query.size() - kPrefix.size() - 1);
  // The label follows the last comma outside braces and quotes.
  int depth = 0;
  bool quoted = false;
  std::optional<std::size_t> comma;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '{' || c == '(') {
      ++depth;
    } else if (c == '}' || c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      comma = i;
    }
  }
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0)
      s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0)
      s.remove_suffix(1);
    return std::string(s);
  };
  LabelValuesQuery out;
  out.label = trim(comma ? inner.substr(*comma + 1) : inner);
  if (comma) out.match = trim(inner.substr(0, *comma));
  if (out.label.empty() || !std::all_of(out.label.begin(), out.label.end(), is_name_char)) {
    return std::nullopt;
  }
  return out;
}

std::string prometheus_regular_escape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\'') {
      out += "\\\\'";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_regex_escape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\\\\\";
    } else if (kRegexMeta.find(c) != std::string_view::npos) {
      out += "\\\\";
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_variable(const DashboardVariable& variable, const Selection& selection) {
  if (selection.all && variable.all_value) return *variable.all_value;
  if (!variable.multi && !variable.include_all) {
    return selection.values.empty() ? std::string()
                                    : prometheus_regular_escape(selection.values[0]);
  }
  if (selection.values.size() == 1) return prometheus_regex_escape(selection.values[0]);
  std::string out = "(";
  for (std::size_t i = 0; i < selection.values.size(); ++i) {
    if (i > 0) out += '|';
    out += prometheus_regex_escape(selection.values[i]);
  }
  return out + ")";
}

std::string prometheus_duration(milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

Substituted substitute(std::string_view expr, const std::vector<DashboardVariable>& variables,
                       const std::map<std::string, Selection>& selections,
                       const TimeSettings& time) {
  const auto fixed = builtins(time);
  Substituted out;
  auto value_of = [&](const std::string& name) -> std::optional<std::string> {
    if (auto it = fixed.find(name); it != fixed.end()) return it->second;
    const auto var = std::find_if(variables.begin(), variables.end(),
                                  [&](const DashboardVariable& v) { return v.name == name; });
    const auto sel = selections.find(name);
    if (var == variables.end() || sel == selections.end()) return std::nullopt;
    return format_variable(*var, sel->second);
  };
  std::size_t i = 0;
  while (i < expr.size()) {
    std::string name;
    std::size_t end = i;
    if (expr[i] == '$' && i + 1 < expr.size() && expr[i + 1] == '{') {
      const std::size_t close = expr.find('}', i + 2);
      if (close != std::string_view::npos) {
        name = std::string(expr.substr(i + 2, close - i - 2));
        end = close + 1;
      }
    } else if (expr[i] == '$') {
      end = i + 1;
      while (end < expr.size() && is_name_char(expr[end]))
        ++end;
      name = std::string(expr.substr(i + 1, end - i - 1));
    } else if (expr.substr(i, 2) == "[[") {
      const std::size_t close = expr.find("]]", i + 2);
      if (close != std::string_view::npos) {
        name = std::string(expr.substr(i + 2, close - i - 2));
        end = close + 2;
      }
    }
    if (name.empty()) {
      out.text += expr[i];
      ++i;
      continue;
    }
    // ${var:format}: the dashboards use none, so any format is reported rather than guessed.
    std::string format;
    if (const auto colon = name.find(':'); colon != std::string::npos) {
      format = name.substr(colon + 1);
      name.resize(colon);
    }
    const auto value = value_of(name);
    if (!value || !format.empty()) {
      if (!format.empty()) name.append(":").append(format);
      out.unknown.push_back(name);
      out.text += expr.substr(i, end - i);
    } else {
      out.text += *value;
    }
    i = end;
  }
  return out;
}

}  // namespace pgtally::testing
