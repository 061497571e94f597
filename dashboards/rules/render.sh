#!/usr/bin/env bash
# Writes a copy of pgtally's rule files with every alert's `for:` divided by SCALE, for a live
# test that should not wait minutes: `render.sh 60 /tmp/rules` turns `for: 5m` into `for: 5s`.
# The shipped files keep the production durations; nothing else in them changes.
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
    /^[[:space:]]*for:/ {
      if (!match($0, /^[[:space:]]*for: [0-9]+[smh][[:space:]]*$/)) {
        printf "render.sh: %s:%d: expected `for: <whole number><s|m|h>`, got: %s\n", file, NR, $0 > "/dev/stderr"
        exit 1
      }
      indent = $0; sub(/for:.*/, "", indent)
      value = $0; sub(/^[[:space:]]*for: /, "", value); sub(/[[:space:]]*$/, "", value)
      unit = substr(value, length(value)); n = substr(value, 1, length(value) - 1)
      seconds = n * (unit == "h" ? 3600 : unit == "m" ? 60 : 1)
      scaled = int((seconds + scale - 1) / scale)
      printf "%sfor: %ds\n", indent, scaled
      next
    }
    { print }
  ' "$rules" >"$out/$(basename "$rules")"
done
echo "render.sh: wrote $(ls "$out"/pgtally-*.yml | wc -l) rule files with for: / $scale to $out"
