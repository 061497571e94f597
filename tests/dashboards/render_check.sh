#!/usr/bin/env bash
# dashboards/rules/render.sh writes rule files that promtool accepts, with every `for:` divided
# by the scale and nothing else changed.
# usage: render_check.sh SOURCE_DIR PROMTOOL
set -euo pipefail
source_dir=$1
promtool=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash "$source_dir/dashboards/rules/render.sh" 60 "$out"
"$promtool" check rules "$out"/pgtally-*.yml
for rules in "$source_dir"/dashboards/rules/pgtally-*.yml; do
  rendered=$out/$(basename "$rules")
  # Lines other than `for:` are the same.
  diff <(grep -v '^ *for:' "$rules") <(grep -v '^ *for:' "$rendered") >/dev/null || {
    echo "render_check: $(basename "$rules"): lines other than for: changed" >&2
    exit 1
  }
  # 5m becomes 5s, 1h becomes 60s.
  expected=$({ grep '^ *for:' "$rules" || true; } | awk '{ v = $2; u = substr(v, length(v)); n = substr(v, 1, length(v) - 1);
    s = n * (u == "h" ? 3600 : u == "m" ? 60 : 1); printf "for: %ds\n", int((s + 59) / 60) }')
  actual=$({ grep '^ *for:' "$rendered" || true; } | sed 's/^ *//')
  [ "$expected" = "$actual" ] || {
    echo "render_check: $(basename "$rules"): for: durations not divided by 60" >&2
    diff <(echo "$expected") <(echo "$actual") >&2
    exit 1
  }
done
if bash "$source_dir/dashboards/rules/render.sh" 0 "$out" 2>/dev/null; then
  echo "render_check: render.sh accepted a scale of 0" >&2
  exit 1
fi
echo "render_check: render.sh 60 turns every for: from minutes into seconds"
