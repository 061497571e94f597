#!/usr/bin/env bash
# Writes a copy of pgtally's rule files with time compressed by SCALE, for a live test that
# should not wait minutes: every alert's `for:`, every range window (`[5m]`) and every
# `offset` is divided by SCALE and rounded up to whole seconds, so `render.sh 60 /tmp/rules`
# turns `for: 5m` into `for: 5s` and `rate(x[5m])` into `rate(x[5s])`: an alert then means in
# seconds what it means in minutes in production. Pick a scale that leaves every window several
# scrape intervals long. The shipped files keep the production durations; nothing else changes.
set -euo pipefail

usage() {
  echo "usage: $0 SCALE OUTDIR   (SCALE: a whole number >= 1; 60 turns minutes into seconds)" >&2
  exit 2
}
[ $# -eq 2 ] || usage
scale=$1
out=$2
[[ $scale =~ ^[1-9][0-9]*$ ]] || usage

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for rules in "$here"/pgtally-*.yml; do
  awk -v scale="$scale" -v file="$rules" '
    function fail(what) {
      printf "render.sh: %s:%d: %s, got: %s\n", file, NR, what, $0 > "/dev/stderr"
      failed = 1
      exit 1
    }
    # "5m" -> "5s" at scale 60: whole seconds, rounded up.
    function scaled(value,   unit, n, seconds) {
      unit = substr(value, length(value)); n = substr(value, 1, length(value) - 1)
      seconds = n * (unit == "d" ? 86400 : unit == "h" ? 3600 : unit == "m" ? 60 : 1)
      return int((seconds + scale - 1) / scale) "s"
    }
    /^[[:space:]]*for:/ {
      if (!match($0, /^[[:space:]]*for: [0-9]+[smh][[:space:]]*$/)) {
        fail("expected `for: <whole number><s|m|h>`")
      }
      indent = $0; sub(/for:.*/, "", indent)
      value = $0; sub(/^[[:space:]]*for: /, "", value); sub(/[[:space:]]*$/, "", value)
      printf "%sfor: %s\n", indent, scaled(value)
      next
    }
    {
      line = $0
      # A subquery or a compound duration would be left unscaled: refuse it.
      probe = line
      while (match(probe, /\[[0-9][^]]*\]/)) {
        window = substr(probe, RSTART, RLENGTH)
        if (window !~ /^\[[0-9]+[smhd]\]$/) fail("expected a range `[<whole number><s|m|h|d>]`")
        probe = substr(probe, RSTART + RLENGTH)
      }
      if (line ~ /offset [0-9]+[smhd][0-9a-z]/) fail("expected `offset <whole number><s|m|h|d>`")
      done = ""
      while (match(line, /\[[0-9]+[smhd]\]/)) {
        done = done substr(line, 1, RSTART - 1) "[" scaled(substr(line, RSTART + 1, RLENGTH - 2)) "]"
        line = substr(line, RSTART + RLENGTH)
      }
      line = done line
      done = ""
      while (match(line, /offset [0-9]+[smhd]/)) {
        done = done substr(line, 1, RSTART - 1) "offset " scaled(substr(line, RSTART + 7, RLENGTH - 7))
        line = substr(line, RSTART + RLENGTH)
      }
      print done line
    }
  ' "$rules" >"$out/$(basename "$rules")"
done
echo "render.sh: wrote $(ls "$out"/pgtally-*.yml | wc -l) rule files with for:, ranges and offsets / $scale to $out"
