#include "tests/dashboards/panel_check.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace pgtally::testing {
namespace {

std::map<std::string, Selection> select_variables(const TempPrometheus& prometheus,
                                                  const Dashboard& d, VariableSelection selection,
                                                  const TimeSettings& time,
                                                  std::vector<std::string>& problems) {
  std::map<std::string, Selection> out;
  for (const DashboardVariable& v : d.variables) {
    if (v.type == "datasource") {
      out[v.name] = Selection{false, {"prometheus"}};
      continue;
    }
    const auto q = parse_label_values(v.query);
    if (!q) {
      problems.push_back(
          fmt::format("{}: variable {}: not a label_values query: {}", d.file, v.name, v.query));
      continue;
    }
    // A chained variable's query names the variables before it, as selected.
    const auto match = substitute(q->match, d.variables, out, time);
    const auto values = prometheus.label_values(q->label, match.text);
    if (values.empty() || !match.unknown.empty()) {
      problems.push_back(
          fmt::format("{}: variable {}: {} gave no values", d.file, v.name, match.text));
    }
    out[v.name] = Selection{selection == VariableSelection::all, values};
  }
  return out;
}

}  // namespace

std::size_t PanelCheck::empty() const {
  return static_cast<std::size_t>(std::count_if(
      panels.begin(), panels.end(), [](const PanelResult& r) { return !r.why.empty(); }));
}

std::string PanelCheck::describe() const {
  std::string text;
  for (const auto& problem : problems)
    text += "  " + problem + "\n";
  for (const auto& r : panels) {
    if (!r.why.empty()) text += fmt::format("  {}: {}\n      {}\n", r.where, r.why, r.query);
  }
  return text;
}

PanelCheck check_panels(const TempPrometheus& prometheus, const std::vector<Dashboard>& dashboards,
                        VariableSelection selection, const TimeSettings& time) {
  PanelCheck out;
  for (const Dashboard& d : dashboards) {
    const auto selections = select_variables(prometheus, d, selection, time, out.problems);
    for (const PanelQuery& q : d.queries) {
      PanelResult r;
      r.where = fmt::format("{} \"{}\" {}", d.title, q.panel, q.ref_id);
      const auto s = substitute(q.expr, d.variables, selections, time);
      r.query = s.text;
      if (!s.unknown.empty()) {
        r.why = fmt::format("unknown variable ${}", s.unknown.front());
      } else if (const auto answer = prometheus.query(s.text); !answer.ok) {
        r.why = "query error: " + answer.error;
      } else if (answer.result.empty()) {
        r.why = "no samples";
      }
      out.panels.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace pgtally::testing
