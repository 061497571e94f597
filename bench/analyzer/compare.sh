#!/usr/bin/env bash
# Events per second through the analyzer's engine on one thread: this tree beside the analyzer
# of commit BASE (default fa5e35b, before causal linking), both built in Release from the same
# bench source, run interleaved in one go. Tagged and untagged workloads, 64 rows x 8 sampled
# columns per parent. Prints the median of REPEATS runs of each and the ratio head/base.
# Usage: bash bench/analyzer/compare.sh [BASE] (REPEATS=5, BUILD_JOBS=2)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:-fa5e35b}
repeats=${REPEATS:-5}
jobs=${BUILD_JOBS:-2}
out=${PGTALLY_BENCH_DIR:-$root/build/bench-compare}
mkdir -p "$out"

rm -rf "$out/base-src"
mkdir -p "$out/base-src"
git -C "$root" archive "$base" | tar -x -C "$out/base-src"
cp "$root/bench/analyzer/analyzer_bench.cpp" "$out/base-src/bench/analyzer/analyzer_bench.cpp"

build() {
  local src=$1 dir=$2
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPGTALLY_BUILD_TESTS=OFF \
    -DPGTALLY_BUILD_BENCH=ON -DPGTALLY_HEADER_CHECK=OFF >/dev/null
  cmake --build "$dir" -j "$jobs" --target analyzer_bench >/dev/null
}
build "$out/base-src" "$out/base-build"
build "$root" "$out/head-build"

results="$out/results.csv"
: >"$results"
for i in $(seq "$repeats"); do
  for which in base head; do
    "$out/$which-build/bench/analyzer/analyzer_bench" --benchmark_filter='EngineEventsPerSecond|EnginePointLookups' \
      --benchmark_format=csv 2>/dev/null | grep -E '^"Engine(EventsPerSecond|PointLookups)' |
      sed "s/^/$which,/" >>"$results"
  done
done

/usr/bin/python3 - "$results" <<'PY'
import csv, statistics, sys
rows = {}
for line in csv.reader(open(sys.argv[1])):
    which, name = line[0], line[1]
    items = float(line[7]) if line[7] else 0.0
    label = line[8] if len(line) > 8 else ''
    rows.setdefault((name, label), {}).setdefault(which, []).append(items)
print(f"{'workload':<40} {'base ev/s':>12} {'head ev/s':>12} {'head/base':>9}")
for (name, label), by in sorted(rows.items()):
    b = statistics.median(by.get('base', [0]))
    h = statistics.median(by.get('head', [0]))
    print(f"{name + ' ' + label:<40} {b:>12.0f} {h:>12.0f} {h / b if b else 0:>9.3f}")
PY
