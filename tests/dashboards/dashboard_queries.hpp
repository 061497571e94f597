// The PromQL a Grafana dashboard runs: every panel target's `expr` and the template variables,
// read from the dashboard JSON, and the substitution Grafana's Prometheus data source applies
// before it sends a query ($var, ${var}, [[var]]; custom all values raw; multi-value selections
// as regex alternations with each value regex-escaped; $__interval, $__rate_interval,
// $__range). No network: the caller reads label values from Prometheus.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgtally::testing {

struct DashboardVariable {
  std::string name;
  std::string type;   // "query", "datasource", "custom", ...
  std::string query;  // for a query variable: label_values(...)
  bool multi = false;
  bool include_all = false;
  std::optional<std::string> all_value;  // the custom all value, when set
};

struct PanelQuery {
  std::string panel;  // the panel's title
  std::string ref_id;
  std::string expr;
};

struct Dashboard {
  std::string file;  // the file name, for messages
  std::string title;
  std::vector<DashboardVariable> variables;  // in the order Grafana resolves them
  std::vector<PanelQuery> queries;           // every target of every panel, rows included
};

// Reads a dashboard; throws std::runtime_error naming the file and what is wrong (not JSON, a
// target without `expr`, a variable without a name).
Dashboard read_dashboard(const std::filesystem::path& path);

// `label_values(metric{selector}, label)` or `label_values(label)`.
struct LabelValuesQuery {
  std::string match;  // the series selector; empty for label_values(label)
  std::string label;
};
std::optional<LabelValuesQuery> parse_label_values(std::string_view query);

// What is selected in a variable: All, or some of its values.
struct Selection {
  bool all = false;
  std::vector<std::string> values;  // the chosen values; with `all`, every value the query gave
};

// The dashboard's time settings Grafana derives its built-in variables from.
struct TimeSettings {
  std::chrono::seconds range{3600};                  // the dashboard's time range
  std::chrono::milliseconds scrape_interval{15000};  // the data source's scrape interval
  unsigned max_data_points = 1000;                   // the panel's width in points
};

struct Substituted {
  std::string text;
  std::vector<std::string> unknown;  // variables the dashboard does not define
};

// `expr` as Grafana sends it. Variables without a selection are unknown.
Substituted substitute(std::string_view expr, const std::vector<DashboardVariable>& variables,
                       const std::map<std::string, Selection>& selections,
                       const TimeSettings& time);

// One variable's value as Grafana writes it into a PromQL query.
std::string format_variable(const DashboardVariable& variable, const Selection& selection);

// Grafana's escapes for a value inside a PromQL string: regular (single value of a variable
// that is neither multi nor include-all) and regex (inside a multi-value alternation).
std::string prometheus_regular_escape(std::string_view value);
std::string prometheus_regex_escape(std::string_view value);

// A duration as Prometheus reads it: whole seconds as "4s", else milliseconds as "1500ms".
std::string prometheus_duration(std::chrono::milliseconds d);

}  // namespace pgtally::testing
