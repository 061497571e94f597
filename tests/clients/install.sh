#!/usr/bin/env bash
# node-postgres for the client tests, from npm, into tests/clients/node (idempotent).
set -euo pipefail
cd "$(dirname "$0")/node"
if [ -d node_modules/pg ]; then
  echo "clients: node-postgres present"
  exit 0
fi
npm install --no-audit --no-fund --loglevel=error
