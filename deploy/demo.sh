#!/usr/bin/env bash
# The main job: installs what is missing, builds pgtally, then runs `pgtally demo`: a throwaway
# PostgreSQL, pgtally in front of it, sample traffic, and what to connect to. Extra arguments
# go to the demo (--once exits after the report). Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PGTALLY_BUILD_DIR:-build/release}
bash deploy/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPGTALLY_BUILD_TESTS=OFF \
  -DPGTALLY_BUILD_BENCH=OFF -DPGTALLY_HEADER_CHECK=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target pgtally
exec "$build/proxy/pgtally" demo "$@"
