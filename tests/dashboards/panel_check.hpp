// Runs every panel query of some dashboards against a Prometheus, with the template variables
// selected the way each variable's own label_values(...) query says, and reports the panels
// that came back without a sample, with the query as it was sent.
#pragma once

#include <string>
#include <vector>

#include "tests/dashboards/dashboard_queries.hpp"
#include "tests/support/temp_prometheus.hpp"

namespace pgtally::testing {

// All: the variables at their All option (the dashboards' default). every_value: each value
// the variable's query returns, selected one by one (Grafana's escaped alternation).
enum class VariableSelection { all, every_value };

struct PanelResult {
  std::string where;  // dashboard title, panel title, ref id
  std::string query;  // as substituted
  std::string why;    // empty: it returned data
};

struct PanelCheck {
  std::vector<PanelResult> panels;
  std::vector<std::string> problems;  // variables whose query gave nothing
  [[nodiscard]] std::size_t empty() const;
  [[nodiscard]] bool all_have_data() const { return problems.empty() && empty() == 0; }
  // The problems and each empty panel with its reason and query, one a line.
  [[nodiscard]] std::string describe() const;
};

PanelCheck check_panels(const TempPrometheus& prometheus, const std::vector<Dashboard>& dashboards,
                        VariableSelection selection, const TimeSettings& time);

}  // namespace pgtally::testing
