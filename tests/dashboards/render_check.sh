#!/usr/bin/env bash
# dashboards/rules/render.sh writes rule files that promtool accepts, with every `for:`, range
# window and offset divided by the scale (rounded up to whole seconds) and nothing else changed;
# it refuses a scale of 0 and a window it cannot scale.
# usage: render_check.sh SOURCE_DIR PROMTOOL
set -euo pipefail
source_dir=$1
promtool=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash "$source_dir/dashboards/rules/render.sh" 60 "$out"
"$promtool" check rules "$out"/pgtally-*.yml

# Every duration of the three kinds, one a line, in file order.
durations() {
  grep -oE '^ *for: [0-9]+[smhd]|\[[0-9]+[smhd]\]|offset [0-9]+[smhd]' "$1" |
    sed -E 's/^ *for: /for /; s/^\[(.*)\]$/range \1/; s/^offset /offset /'
}
# The text with those durations blanked out.
blanked() {
  sed -E 's/^( *for: )[0-9]+[smhd]/\1D/; s/\[[0-9]+[smhd]\]/[D]/g; s/offset [0-9]+[smhd]/offset D/g' "$1"
}

for rules in "$source_dir"/dashboards/rules/pgtally-*.yml; do
  name=$(basename "$rules")
  rendered=$out/$name
  diff <(blanked "$rules") <(blanked "$rendered") >/dev/null || {
    echo "render_check: $name: lines changed beyond for:, ranges and offsets" >&2
    diff <(blanked "$rules") <(blanked "$rendered") >&2 || true
    exit 1
  }
  # 5m becomes 5s, 10m 10s, 1h 60s.
  expected=$(durations "$rules" | awk '{ v = $2; u = substr(v, length(v)); n = substr(v, 1, length(v) - 1);
    s = n * (u == "d" ? 86400 : u == "h" ? 3600 : u == "m" ? 60 : 1); printf "%s %ds\n", $1, int((s + 59) / 60) }')
  actual=$(durations "$rendered")
  [ "$expected" = "$actual" ] || {
    echo "render_check: $name: durations not divided by 60" >&2
    diff <(echo "$expected") <(echo "$actual") >&2 || true
    exit 1
  }
  [ -n "$(durations "$rules" | grep '^range' || true)" ] || [ "$name" != pgtally-alerts.yml ] || {
    echo "render_check: $name: no range window found; the check proves nothing" >&2
    exit 1
  }
done
if bash "$source_dir/dashboards/rules/render.sh" 0 "$out" 2>/dev/null; then
  echo "render_check: render.sh accepted a scale of 0" >&2
  exit 1
fi
# A copy of the rules with a subquery: render.sh must refuse it rather than leave it unscaled.
bad=$(mktemp -d)
trap 'rm -rf "$out" "$bad"' EXIT
mkdir -p "$bad/rules"
cp "$source_dir"/dashboards/rules/render.sh "$bad/rules/"
printf 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: max_over_time(up[5m:1m])\n' \
  >"$bad/rules/pgtally-bad.yml"
if bash "$bad/rules/render.sh" 60 "$bad/out" 2>/dev/null; then
  echo "render_check: render.sh accepted a subquery window it cannot scale" >&2
  exit 1
fi
echo "render_check: render.sh 60 turns every for:, range and offset from minutes into seconds"
