#!/usr/bin/env bash
# systemd-analyze verify on deploy/pgtally.service, with ExecStart pointed at the pgtally just
# built (verify requires the executable to exist). Any message, even a warning about an
# unknown key that systemd would ignore, fails the check.
# usage: systemd_verify.sh SOURCE_DIR PGTALLY_EXECUTABLE [SYSTEMD_ANALYZE]
set -euo pipefail
source_dir=$1
pgtally=$2
systemd_analyze=${3:-systemd-analyze}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unit=$work/pgtally.service
sed "s#^ExecStart=/usr/local/bin/pgtally #ExecStart=$pgtally #" "$source_dir/deploy/pgtally.service" >"$unit"
grep -q "^ExecStart=$pgtally " "$unit" || {
  echo "systemd_verify: deploy/pgtally.service has no ExecStart=/usr/local/bin/pgtally ..." >&2
  exit 1
}
output=$("$systemd_analyze" verify "$unit" 2>&1) || {
  echo "$output" >&2
  exit 1
}
if [ -n "$output" ]; then
  echo "$output" >&2
  exit 1
fi
echo "systemd_verify: deploy/pgtally.service verified"
"$systemd_analyze" security --offline=yes "$unit" 2>/dev/null | tail -n 1 || true
