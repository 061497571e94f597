#!/usr/bin/env bash
# Every test pgtally has: installs what is missing, builds with warnings as errors, runs the
# unit, integration and end-to-end suites (ctest), checks formatting and clang-tidy, and gives
# each libFuzzer target a short run. Prints each phase's time. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${PGTALLY_BUILD_DIR:-$root/build/ci}
fuzz_build=${PGTALLY_FUZZ_BUILD_DIR:-$root/build/fuzz}
tidy_build=${PGTALLY_TIDY_BUILD_DIR:-$root/build/tidy}
fuzz_seconds=${PGTALLY_FUZZ_SECONDS:-60}
jobs=${PGTALLY_JOBS:-2}
started=$(date +%s)

phase() {
  local name=$1
  shift
  local t0
  t0=$(date +%s)
  echo "=== phase: $name"
  "$@"
  echo "=== phase: $name took $(($(date +%s) - t0)) s"
}

install() { bash deploy/install-deps.sh; }

build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPGTALLY_WERROR=ON >/dev/null
  cmake --build "$build" -j "$jobs"
}

client_deps() { bash tests/clients/install.sh; }

unit_and_integration() {
  ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300
}

format_check() {
  local files
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
  clang-format --dry-run --Werror "${files[@]}"
  echo "clang-format: ${#files[@]} files clean"
}

tidy() {
  # clang-tidy reads a clang compile database (no g++-only flags, no g++ precompiled headers);
  # configuring is enough, nothing is built there.
  CC=clang CXX=clang++ cmake -S . -B "$tidy_build" -G Ninja -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON \
    -DPGTALLY_HEADER_CHECK=OFF >/dev/null
  local files
  mapfile -t files < <(git ls-files 'proxy/*.cpp' 'analyzer/*.cpp' 'orm/*.cpp')
  if [ ${#files[@]} -eq 0 ]; then return 0; fi
  printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 4 clang-tidy -p "$tidy_build" --quiet
  echo "clang-tidy: ${#files[@]} files clean"
}

fuzz() {
  CC=clang CXX=clang++ cmake -S . -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPGTALLY_FUZZ=ON -DPGTALLY_BUILD_TESTS=ON -DPGTALLY_BUILD_BENCH=OFF \
    -DPGTALLY_HEADER_CHECK=OFF >/dev/null
  cmake --build "$fuzz_build" -j "$jobs" --target pgtally_fuzzers
  local targets
  mapfile -t targets < <(find "$fuzz_build/tests/fuzz" -maxdepth 2 -type f -name 'fuzz_*' -perm -u+x | sort)
  for t in "${targets[@]}"; do
    local name corpus
    name=$(basename "$t")
    corpus="$fuzz_build/corpus/$name"
    mkdir -p "$corpus"
    echo "fuzz: $name for ${fuzz_seconds}s"
    "$t" -max_total_time="$fuzz_seconds" -print_final_stats=1 -rss_limit_mb=2048 \
      -artifact_prefix="$fuzz_build/" "$corpus" "$root/tests/fuzz/seeds/${name#fuzz_}" \
      2>"$fuzz_build/$name.log" || { tail -50 "$fuzz_build/$name.log"; return 1; }
    grep -E "stat::number_of_executed_units" "$fuzz_build/$name.log" || true
  done
}

phase install install
phase build build
phase client-deps client_deps
phase tests unit_and_integration
phase format format_check
phase clang-tidy tidy
phase fuzz fuzz
echo "=== all phases passed in $(($(date +%s) - started)) s"
