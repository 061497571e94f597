#!/usr/bin/env python3
"""Checks pgtally's Grafana dashboards and Prometheus rules against the metrics catalog.

Fails when a dashboard query or a rule expression names a pgtally metric (or a label of one)
that `pgtally metrics-reference` does not list, when a dashboard is not well formed (JSON,
schemaVersion, the datasource variable, a datasource and a query on every panel, variables
that exist), when a rule uses a recorded series no rule records, or when an alert lacks its
severity, annotations or a promtool test in which it fires.

usage: dashboards_check.py --pgtally PATH --source-dir DIR
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys

import yaml

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Labels Prometheus adds to every scraped series, and the recording rules' own.
TARGET_LABELS = {"job", "instance"}
GRAFANA_BUILTINS = {"__rate_interval", "__range", "__interval", "__interval_ms", "__range_s"}
MIN_SCHEMA_VERSION = 36

METRIC_TOKEN = re.compile(r"(?<![A-Za-z0-9_:])(pgtally_[A-Za-z0-9_]+)(?![A-Za-z0-9_:])")
RECORDED_TOKEN = re.compile(r"(?<![A-Za-z0-9_:])([a-z_]+:[A-Za-z0-9_]+:[A-Za-z0-9_]+)")
SELECTOR = re.compile(r"(?<![A-Za-z0-9_:])(pgtally_[A-Za-z0-9_]+)\s*\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


class Catalog:
    """The metric families `pgtally metrics-reference` prints: name -> (type, labels)."""

    def __init__(self, markdown):
        self.families = {}
        for line in markdown.splitlines():
            if not line.startswith("| `pgtally_"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            name = cells[0].strip("`")
            labels = {l.strip().strip("`") for l in cells[2].split(",") if l.strip() != "-"}
            self.families[name] = (cells[1], labels)
        if not self.families:
            raise SystemExit("dashboards_check: `pgtally metrics-reference` listed no metric")
        self.all_labels = set().union(*(labels for _, labels in self.families.values()))

    def family(self, series_name):
        """The family a series belongs to (a histogram's _bucket/_sum/_count included), or None."""
        if series_name in self.families:
            return series_name
        for suffix in HISTOGRAM_SUFFIXES:
            base = series_name[: -len(suffix)]
            if series_name.endswith(suffix) and self.families.get(base, ("",))[0] == "histogram":
                return base
        return None

    def labels_of(self, series_name):
        family = self.family(series_name)
        labels = set(self.families[family][1]) | TARGET_LABELS
        if not series_name.endswith("_bucket"):
            labels.discard("le")
        return labels


def without_strings(expr):
    """The expression with its quoted strings emptied: label values are not names."""
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)


def check_expression(where, expr, catalog, recorded, errors):
    bare = without_strings(expr)
    for name in METRIC_TOKEN.findall(bare):
        if catalog.family(name) is None:
            errors.append(f"{where}: {name} is not in the metrics catalog")
    for metric, matchers in SELECTOR.findall(bare):
        if catalog.family(metric) is None:
            continue
        for label in MATCHER_LABEL.findall(matchers):
            if label not in catalog.labels_of(metric):
                errors.append(f"{where}: {metric} has no label {label}")
    known_labels = catalog.all_labels | TARGET_LABELS | {"le"}
    for group in GROUPING.findall(bare):
        for label in (l.strip() for l in group.split(",")):
            if label and label not in known_labels:
                errors.append(f"{where}: grouping by {label}, a label no pgtally metric has")
    if recorded is not None:
        for name in RECORDED_TOKEN.findall(bare):
            if name not in recorded:
                errors.append(f"{where}: {name} is recorded by no rule")


def check_recorded_name(where, name, catalog, errors):
    """level:metric:operations, where metric is a catalog family (without _total)."""
    parts = name.split(":")
    if len(parts) != 3:
        errors.append(f"{where}: {name} is not level:metric:operations")
        return
    metric = parts[1]
    if catalog.family(metric) is None and catalog.family(metric + "_total") is None:
        errors.append(f"{where}: {name} names {metric}, which is not in the metrics catalog")


def load_rules(rules_dir):
    rules = []
    for path in sorted(glob.glob(os.path.join(rules_dir, "pgtally-*.yml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for group in doc["groups"]:
            for rule in group["rules"]:
                rules.append((os.path.basename(path), group["name"], rule))
    return rules


def tested_alerts(tests_dir):
    """Alert names that some promtool test expects to fire."""
    firing = set()
    for path in glob.glob(os.path.join(tests_dir, "*.yml")):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for test in doc.get("tests", []):
            for case in test.get("alert_rule_test", []):
                if case.get("exp_alerts"):
                    firing.add(case["alertname"])
    return firing


def tested_records(tests_dir):
    exprs = []
    for path in glob.glob(os.path.join(tests_dir, "*.yml")):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for test in doc.get("tests", []):
            exprs += [case["expr"] for case in test.get("promql_expr_test", [])]
    return "\n".join(exprs)


def check_rules(rules_dir, catalog, errors):
    rules = load_rules(rules_dir)
    if not rules:
        errors.append(f"{rules_dir}: no rule files (pgtally-*.yml)")
    recorded = {rule["record"] for _, _, rule in rules if "record" in rule}
    firing = tested_alerts(os.path.join(rules_dir, "tests"))
    record_tests = tested_records(os.path.join(rules_dir, "tests"))
    for file, group, rule in rules:
        name = rule.get("record") or rule.get("alert")
        where = f"{file} [{group}] {name}"
        check_expression(where, rule["expr"], catalog, recorded, errors)
        if "record" in rule:
            check_recorded_name(where, rule["record"], catalog, errors)
            if rule["record"] not in record_tests:
                errors.append(f"{where}: no promql_expr_test in rules/tests reads it")
            continue
        if "for" not in rule:
            errors.append(f"{where}: no for: duration")
        if rule.get("labels", {}).get("severity") not in ("info", "warning", "critical"):
            errors.append(f"{where}: severity label must be info, warning or critical")
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook"):
            if not annotations.get(key):
                errors.append(f"{where}: no {key} annotation")
        if rule["alert"] not in firing:
            errors.append(f"{where}: no promtool test in rules/tests expects it to fire")
    return len(rules)


def panels_of(dashboard):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # panels inside a collapsed row


def check_dashboard(path, catalog, errors):
    name = os.path.basename(path)
    try:
        with open(path) as f:
            dashboard = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        errors.append(f"{name}: not valid JSON: {e}")
        return 0
    if dashboard.get("schemaVersion", 0) < MIN_SCHEMA_VERSION:
        errors.append(f"{name}: schemaVersion below {MIN_SCHEMA_VERSION}")
    if not dashboard.get("uid") or not dashboard.get("title"):
        errors.append(f"{name}: needs a uid and a title")
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    datasource = variables.get("datasource")
    if not datasource or datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        errors.append(f"{name}: no `datasource` variable of type datasource for prometheus")
    for var in variables.values():
        if var.get("type") != "query":
            continue
        query = var.get("query", "")
        query = query.get("query", "") if isinstance(query, dict) else query
        check_expression(f"{name} variable {var['name']}", query, catalog, None, errors)
        for used in VARIABLE.findall(query):
            if used not in variables and used not in GRAFANA_BUILTINS:
                errors.append(f"{name} variable {var['name']}: uses undefined ${used}")
    ids = set()
    queries = 0
    for panel in panels_of(dashboard):
        if panel.get("type") == "row":
            continue
        where = f"{name} panel {panel.get('title')!r}"
        if panel.get("id") in ids:
            errors.append(f"{where}: duplicate panel id {panel.get('id')}")
        ids.add(panel.get("id"))
        if not panel.get("gridPos"):
            errors.append(f"{where}: no gridPos")
        if panel.get("datasource", {}).get("uid") not in ("${datasource}", "$datasource"):
            errors.append(f"{where}: datasource is not the ${{datasource}} variable")
        targets = panel.get("targets", [])
        if not targets:
            errors.append(f"{where}: no query")
        for target in targets:
            expr = target.get("expr", "")
            if not expr.strip():
                errors.append(f"{where} [{target.get('refId')}]: empty query")
                continue
            queries += 1
            check_expression(f"{where} [{target.get('refId')}]", expr, catalog, None, errors)
            for used in VARIABLE.findall(expr):
                if used not in variables and used not in GRAFANA_BUILTINS:
                    errors.append(f"{where}: uses undefined ${used}")
    return queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pgtally", required=True, help="the pgtally executable")
    parser.add_argument("--source-dir", required=True, help="pgtally's source tree")
    args = parser.parse_args()

    reference = subprocess.run([args.pgtally, "metrics-reference"], check=True,
                               capture_output=True, text=True).stdout
    catalog = Catalog(reference)
    dashboards_dir = os.path.join(args.source_dir, "dashboards")
    errors = []
    boards = sorted(glob.glob(os.path.join(dashboards_dir, "*.json")))
    if not boards:
        errors.append(f"{dashboards_dir}: no dashboard JSON")
    queries = sum(check_dashboard(path, catalog, errors) for path in boards)
    rules = check_rules(os.path.join(dashboards_dir, "rules"), catalog, errors)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 1
    print(f"dashboards_check: {len(boards)} dashboards ({queries} queries) and {rules} rules "
          f"name only the {len(catalog.families)} catalog metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
