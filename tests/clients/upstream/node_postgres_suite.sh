#!/usr/bin/env bash
# Runs node-postgres's own integration suite (packages/pg/test/integration: one node process per
# *-tests.js file, given postgres:// as its Makefile's test-integration target does) twice against a
# throwaway PostgreSQL: directly, then through pgtally. Prints one row per file with both exit codes
# (a mark where they differ), a summary line and pgtally's pgtally_analyzer_* counters from /metrics.
# The server is set up as node-postgres's CI sets up its own: md5/SCRAM auth with user and password
# postgres, database ci_db_test, the SCRAM test roles, and TLS with the suite's test certificate
# (pgtally terminates client TLS with the same certificate).
#
# Exits non-zero when a file passes directly but fails through pgtally, or when
# pgtally_analyzer_ledger_dropped_total or any pgtally_analyzer_events_dropped_total is non-zero.
#
# Usage: node_postgres_suite.sh <node-postgres checkout or its packages/pg> <pgtally binary>
# Needs node and npm (installs pg's runtime and test dependencies from npm into a temp dir) and
# PostgreSQL's server binaries (PG_BIN, default the newest /usr/lib/postgresql/*/bin). As root, the
# server runs as the postgres user. Environment: FILE_TIMEOUT (seconds per file, default 120; the
# SCRAM file waits out the server's 60 s authentication_timeout directly), PG_PORT, PGTALLY_PORT,
# HTTP_PORT (default 55432, 55433, 55434), PGTALLY_ARGS (extra pgtally options).
# shellcheck disable=SC2317 # cleanup and settled run from the trap and from until_ok
set -euo pipefail

[[ $# -eq 2 ]] || { awk 'NR > 1 && !/^#/ { exit } NR > 1 && !/shellcheck/ { sub(/^# ?/, ""); print }' "$0"; exit 2; }
src=$(cd "$1" && pwd)
pgtally=$(realpath "$2")
[[ -f $src/packages/pg/lib/client.js ]] && src=$src/packages/pg
[[ -f $src/lib/client.js && -d $src/test/integration ]] || { echo "no node-postgres packages/pg at $1" >&2; exit 2; }
[[ -x $pgtally ]] || { echo "not executable: $2" >&2; exit 2; }
PG_BIN=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
FILE_TIMEOUT=${FILE_TIMEOUT:-120}
PG_PORT=${PG_PORT:-55432} PGTALLY_PORT=${PGTALLY_PORT:-55433} HTTP_PORT=${HTTP_PORT:-55434}

work=$(mktemp -d /tmp/npg-suite.XXXXXX)
chmod 755 "$work"
pgtally_pid=
cleanup() {
  if [[ -n $pgtally_pid ]]; then kill "$pgtally_pid" 2>/dev/null || true; wait "$pgtally_pid" 2>/dev/null || true; fi
  if [[ -f $work/data/postmaster.pid ]]; then as_pg "$PG_BIN/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# until <seconds> <command...>: polls the command every 0.1 s until it succeeds or the deadline passes.
until_ok() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.1
  done
}

# The package under test, with its dependencies (pg's own, and the devDependencies the suite uses).
mkdir "$work/pg"
cp -r "$src/lib" "$src/test" "$work/pg/"
echo "installing pg's dependencies from npm ..."
npm install --prefix "$work/pg" --no-audit --no-fund --no-save --legacy-peer-deps --loglevel=error \
  pg-connection-string@^2.14.0 pg-pool@^3.14.0 pg-protocol@^1.16.0 pg-types@2.2.0 pgpass@1.0.5 \
  async@2.6.4 bluebird@3.7.2 co@4.6.0 pg-copy-streams@0.3.0 >/dev/null

# PostgreSQL as node-postgres's CI has it.
mkdir "$work/data" "$work/run"
echo postgres >"$work/pwfile"
[[ $EUID -eq 0 ]] && chown postgres: "$work/data" "$work/run" "$work/pwfile"
as_pg "$PG_BIN/initdb" -D "$work/data" -U postgres --pwfile="$work/pwfile" -A trust --auth-host=md5 \
  -E UTF8 --locale=C.UTF-8 >"$work/initdb.log"
install -m 600 "$src/test/tls/test-server.crt" "$src/test/tls/test-server.key" "$work/data/"
[[ $EUID -eq 0 ]] && chown postgres: "$work/data/test-server.crt" "$work/data/test-server.key"
as_pg "$PG_BIN/pg_ctl" -D "$work/data" -l "$work/run/postgres.log" -o "-p $PG_PORT \
  -c listen_addresses=127.0.0.1 -k $work/run -c ssl=on -c ssl_cert_file=test-server.crt \
  -c ssl_key_file=test-server.key -c fsync=off" start >/dev/null
until_ok 30 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
as_pg "$PG_BIN/psql" -q -X -h "$work/run" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE ci_db_test" -c "SET password_encryption = 'scram-sha-256'" \
  -c "CREATE ROLE scram_test LOGIN PASSWORD 'test4scram'" \
  -c "CREATE ROLE scram_unicode_test LOGIN PASSWORD U&'IX-\2168'"

export PGHOST=127.0.0.1 PGUSER=postgres PGPASSWORD=postgres PGDATABASE=ci_db_test \
  SCRAM_TEST_PGUSER=scram_test SCRAM_TEST_PGPASSWORD=test4scram \
  SCRAM_TEST_PGUSER_UNICODE=scram_unicode_test SCRAM_TEST_PGPASSWORD_UNICODE=$'IX-\u2168'
cd "$work/pg"
mapfile -t files < <(find test/integration -name '*-tests.js' | sort)

# run_suite <mode> <port>: runs every file against the port; exit codes in rc[<mode>.i], output in $work/<mode>/.
declare -A rc
run_suite() {
  local mode=$1 i start=$SECONDS
  mkdir -p "$work/$mode"
  for i in "${!files[@]}"; do
    rc[$mode.$i]=0
    PGPORT=$2 timeout -k 10 "$FILE_TIMEOUT" node "${files[i]}" postgres:// >"$work/$mode/$i.log" 2>&1 || rc[$mode.$i]=$?
  done
  echo "$mode: ${#files[@]} files in $((SECONDS - start)) s"
}
run_suite direct "$PG_PORT"

tls=$src/test/tls
# shellcheck disable=SC2086 # PGTALLY_ARGS is a list of options
"$pgtally" --listen "127.0.0.1:$PGTALLY_PORT" --upstream "127.0.0.1:$PG_PORT" --http "127.0.0.1:$HTTP_PORT" \
  --findings-log off --log-file "$work/pgtally.log" \
  --client-tls-cert "$tls/test-server.crt" --client-tls-key "$tls/test-server.key" ${PGTALLY_ARGS:-} &
pgtally_pid=$!
until_ok 30 curl -sf "http://127.0.0.1:$HTTP_PORT/healthz"
run_suite pgtally "$PGTALLY_PORT"

# Let the analyzer finish: nothing queued and every request ended.
metrics() { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics"; }
settled() { metrics | grep -qE '^pgtally_analyzer_queued_events 0$' && metrics | grep -qE '^pgtally_analyzer_live_requests 0$'; }
until_ok 30 settled || true

status=0 regressions=0 both=0 fixed=0
echo
printf '%-62s %7s %8s\n' file direct pgtally
for i in "${!files[@]}"; do
  d=${rc[direct.$i]} p=${rc[pgtally.$i]} mark=
  if [[ $d -eq 0 && $p -ne 0 ]]; then mark='<< fails only through pgtally'; regressions=$((regressions + 1))
  elif [[ $d -ne 0 && $p -eq 0 ]]; then mark='<< fails only directly'; fixed=$((fixed + 1))
  elif [[ $d -ne 0 ]]; then both=$((both + 1)); fi
  printf '%-62s %7s %8s %s\n' "${files[i]#test/integration/}" "$d" "$p" "$mark"
done
for i in "${!files[@]}"; do
  if [[ ${rc[direct.$i]} -eq 0 && ${rc[pgtally.$i]} -ne 0 ]]; then
    echo; echo "--- ${files[i]} through pgtally (exit ${rc[pgtally.$i]}), last lines:"; tail -n 20 "$work/pgtally/$i.log"
  fi
done
echo
echo "summary: ${#files[@]} files; $regressions fail only through pgtally, $fixed fail only directly, $both fail in both"
((regressions == 0)) || status=1

echo
echo "pgtally's analyzer counters:"
counters=$(metrics | grep -E '^pgtally_analyzer_') || { echo "could not read /metrics" >&2; exit 1; }
echo "$counters"
if grep -qE '^pgtally_analyzer_(ledger_dropped_total|events_dropped_total\{[^}]*\}) [1-9]' <<<"$counters"; then
  echo "FAIL: pgtally dropped analyzer events or ledger entries"
  status=1
fi
if grep -vq ' info ' "$work/pgtally.log"; then
  echo; echo "pgtally log lines above info:"; grep -v ' info ' "$work/pgtally.log" | head -n 20
fi
exit $status
