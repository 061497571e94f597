#!/usr/bin/env bash
# The npm packages the tests use, each project from its package.json and lockfile (idempotent):
# node-postgres with pg-cursor and OpenTelemetry's pg instrumentation for the client tests
# (tests/clients/node), and the Kubernetes API schemas with a YAML parser for the manifest check
# (tests/dashboards/k8s).
set -euo pipefail
tests=$(cd "$(dirname "$0")/.." && pwd)

install_project() {
  local dir=$1 what=$2
  # npm ls fails when a dependency is missing or does not satisfy package.json.
  if (cd "$dir" && npm ls --depth=0 >/dev/null 2>&1); then
    echo "npm packages: $what present"
    return 0
  fi
  echo "npm packages: installing $what into ${dir#"$tests"/}/node_modules"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

install_project "$tests/clients/node" "node-postgres and OpenTelemetry"
install_project "$tests/dashboards/k8s" "kubernetes-models and yaml"
