#!/usr/bin/env bash
# The main job: installs what is missing, builds pgtally and the storefront sample, then runs
# `pgtally demo`: a throwaway PostgreSQL, pgtally in front of it, the storefront's migrations,
# service and load through pgtally, then the findings and where to look. Extra arguments go to
# the demo (--once exits after the report; --requests N; --concurrency C). Run as root on
# Debian 12. PGTALLY_DEMO_PREBUILT=DIR runs the programs of an existing build tree instead of
# building.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
if [ -n "${PGTALLY_DEMO_PREBUILT:-}" ]; then
  build=$PGTALLY_DEMO_PREBUILT
else
  build=${PGTALLY_BUILD_DIR:-build/release}
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPGTALLY_BUILD_TESTS=OFF \
    -DPGTALLY_BUILD_BENCH=OFF -DPGTALLY_HEADER_CHECK=OFF >/dev/null
  cmake --build "$build" -j "$(nproc)" \
    --target pgtally storefront-migrate pgtally-storefront pgtally-storefront-load
fi
exec "$build/proxy/pgtally" demo "$@"
