#!/usr/bin/env bash
# pgtally proxy benchmark: pgbench select-only directly, through pgtally and through pgbouncer
# (session mode), interleaved in one run, with each proxy's CPU time per transaction; RSS per
# idle client for both proxies; an optional soak through pgtally. Run as root from anywhere:
#
#   bash bench/proxy/run.sh
#   BENCH_SECONDS=5 BENCH_ROUNDS=1 bash bench/proxy/run.sh     # quick look
#   SOAK_SECONDS=600 bash bench/proxy/run.sh                    # with the 10-minute soak
#
# Settings (environment):
#   BENCH_SECONDS  length of each pgbench run (default 15)
#   BENCH_ROUNDS   rounds of the interleaved direct/pgtally/pgbouncer runs; TPS is the median
#                  (default 3)
#   BENCH_CLIENTS  client counts (default "1 8 32")
#   BENCH_MODES    pgbench query modes (default "prepared simple")
#   IDLE_CLIENTS   idle connections held at once in the memory test (default 1000)
#   PGTALLY_ARGS   extra pgtally options (default --no-analysis; empty: analysis on)
#   SOAK_SECONDS   soak at 32 clients through pgtally; 0 skips it (default 0)
#   SOAK_CLIENTS   clients in the soak (default 32)
#   BUILD_JOBS     parallel build jobs (default 1: the machine is shared)
#   PGTALLY_THREADS  pgtally's event-loop threads (default 2)
#   BUSY_POLL_US   also run a second pgtally with --busy-poll-us BUSY_POLL_US, interleaved with
#                  the others and reported in its own table; 0 skips it (default 100)
#
# Exits non-zero only when the benchmark cannot run; targets are reported as MET or MISSED.
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-15}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_CLIENTS=${BENCH_CLIENTS:-"1 8 32"}
BENCH_MODES=${BENCH_MODES:-"prepared simple"}
IDLE_CLIENTS=${IDLE_CLIENTS:-1000}
SOAK_SECONDS=${SOAK_SECONDS:-0}
SOAK_CLIENTS=${SOAK_CLIENTS:-32}
BUILD_JOBS=${BUILD_JOBS:-1}
PGTALLY_THREADS=${PGTALLY_THREADS:-2}
BUSY_POLL_US=${BUSY_POLL_US:-100}
# The relay alone by default (the figures the relay targets are about); PGTALLY_ARGS= (empty)
# measures pgtally with its analysis on.
PGTALLY_ARGS=${PGTALLY_ARGS---no-analysis}
SCALE=10
PG_BIN=/usr/lib/postgresql/15/bin
# Targets.
TARGET_ONE_CLIENT_VS_DIRECT=0.85   # pgtally TPS / direct TPS at 1 client
TARGET_IDLE_BYTES=3072             # RSS growth per idle client
SOAK_FLAT_BYTES=$((4 * 1024 * 1024))  # last-minus-first RSS sample allowed in the soak

COMMAND_LINE="BENCH_SECONDS=$BENCH_SECONDS BENCH_ROUNDS=$BENCH_ROUNDS BENCH_CLIENTS=\"$BENCH_CLIENTS\" BENCH_MODES=\"$BENCH_MODES\" IDLE_CLIENTS=$IDLE_CLIENTS SOAK_SECONDS=$SOAK_SECONDS PGTALLY_THREADS=$PGTALLY_THREADS BUSY_POLL_US=$BUSY_POLL_US PGTALLY_ARGS=\"$PGTALLY_ARGS\" bash bench/proxy/run.sh${*:+ $*}"

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts PostgreSQL as postgres)"
for v in BENCH_SECONDS BENCH_ROUNDS IDLE_CLIENTS SOAK_SECONDS SOAK_CLIENTS BUILD_JOBS PGTALLY_THREADS BUSY_POLL_US; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
[ "$BENCH_SECONDS" -gt 0 ] && [ "$BENCH_ROUNDS" -gt 0 ] || die "BENCH_SECONDS and BENCH_ROUNDS must be > 0"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
BUILD_DIR=$REPO/build/bench
PGTALLY=$BUILD_DIR/proxy/pgtally

# --- everything started here is torn down on any exit ----------------------------------------
WORK=""
PG_LAUNCHER="" ; PG_PID=""
PGTALLY_PID=""
POLL_PID=""
BOUNCER_LAUNCHER="" ; BOUNCER_PID=""
HELPER_PID="" ; SOAK_PGBENCH_PID=""

stop_pid() {  # pid signal seconds
  local pid=$1 sig=$2 secs=$3 deadline
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + secs))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
}

cleanup() {
  local rc=$?
  set +e
  stop_pid "$SOAK_PGBENCH_PID" INT 5
  stop_pid "$HELPER_PID" TERM 10
  stop_pid "$PGTALLY_PID" TERM 10
  stop_pid "$POLL_PID" TERM 10
  stop_pid "$BOUNCER_PID" INT 10   # SIGINT: pgbouncer's safe shutdown
  stop_pid "$PG_PID" INT 30        # SIGINT: PostgreSQL's fast shutdown
  stop_pid "$BOUNCER_LAUNCHER" TERM 5
  stop_pid "$PG_LAUNCHER" TERM 5
  wait 2>/dev/null
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ $rc -ne 0 ]; then
      for f in postgres.log pgtally.log pgtally-poll.log pgbouncer.log pgbouncer.stderr; do
        [ -s "$WORK/$f" ] && { echo "--- tail of $f ---" >&2; tail -n 20 "$WORK/$f" >&2; }
      done
    fi
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ----------------------------------------------------------------------------------
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Polls pg_isready until the target answers, the process dies or the deadline passes.
wait_ready() {  # name port pid seconds
  local name=$1 port=$2 pid=$3 deadline=$((SECONDS + $4))
  until pg_isready -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 1; do
    kill -0 "$pid" 2>/dev/null || die "$name exited before accepting connections"
    [ $SECONDS -lt $deadline ] || die "$name not ready on port $port after $4 s"
    sleep 0.1
  done
}

# Polls until a pid file holds the pid of a live process.
wait_pidfile() {  # file seconds
  local file=$1 deadline=$((SECONDS + $2)) pid
  while :; do
    if [ -s "$file" ]; then
      pid=$(head -n1 "$file")
      if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return 0; fi
    fi
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

CLK_TCK=$(getconf CLK_TCK)
# utime + stime of a whole process (all threads), in clock ticks.
cpu_ticks() {
  local s
  s=$(<"/proc/$1/stat")
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo $(( ${12} + ${13} ))
}
rss_bytes() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }
fmt() { awk -v v="$1" -v p="${2:-0}" 'BEGIN { printf "%.*f", p, v }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- 0. packages and build --------------------------------------------------------------------
log "installing dependencies (idempotent)"
bash "$REPO/deploy/install-deps.sh"
for tool in "$PG_BIN/initdb" "$PG_BIN/postgres" /usr/bin/pgbench /usr/bin/pg_isready /usr/sbin/pgbouncer; do
  [ -x "$tool" ] || die "missing $tool"
done

log "building pgtally (Release, $BUILD_DIR, -j$BUILD_JOBS)"
generator=()
if command -v ninja >/dev/null && [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then generator=(-G Ninja); fi
cmake -S "$REPO" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DPGTALLY_BUILD_TESTS=OFF -DPGTALLY_BUILD_BENCH=OFF -DPGTALLY_HEADER_CHECK=OFF >/dev/null
cmake --build "$BUILD_DIR" --target pgtally -j "$BUILD_JOBS" >/dev/null
[ -x "$PGTALLY" ] || die "build did not produce $PGTALLY"

WORK=$(mktemp -d /tmp/pgtally-bench.XXXXXX)
chmod 755 "$WORK"
log "work directory $WORK"

HELPER=$WORK/idle_clients
cc -O2 -I"$(pg_config --includedir)" "$SCRIPT_DIR/idle_clients.c" -o "$HELPER" -lpq

# --- 1. PostgreSQL 15 -------------------------------------------------------------------------
PGPORT=$(free_port)
mkdir -p "$WORK/data" "$WORK/sock"
chown postgres:postgres "$WORK/data" "$WORK/sock"
log "initdb and start PostgreSQL 15 on 127.0.0.1:$PGPORT"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --no-sync \
  >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
touch "$WORK/postgres.log"; chown postgres "$WORK/postgres.log"
runuser -u postgres -- bash -c "ulimit -n 8192; exec '$PG_BIN/postgres' -D '$WORK/data' \
  -c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories='$WORK/sock' \
  -c max_connections=1200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c log_min_messages=warning" >>"$WORK/postgres.log" 2>&1 &
PG_LAUNCHER=$!
PG_PID=$(wait_pidfile "$WORK/data/postmaster.pid" 60) || die "PostgreSQL did not start"
wait_ready PostgreSQL "$PGPORT" "$PG_PID" 60

# --- 2. pgtally and pgbouncer -----------------------------------------------------------------
TALLY_PORT=$(free_port)
log "start pgtally on 127.0.0.1:$TALLY_PORT"
"$PGTALLY" --listen "127.0.0.1:$TALLY_PORT" --upstream "127.0.0.1:$PGPORT" --threads "$PGTALLY_THREADS" \
  --log-level warn --max-client-conn 2000 --shutdown-timeout 2 $PGTALLY_ARGS >"$WORK/pgtally.log" 2>&1 &
PGTALLY_PID=$!
wait_ready pgtally "$TALLY_PORT" "$PGTALLY_PID" 30
POLL_PORT=""
if [ "$BUSY_POLL_US" -gt 0 ]; then
  POLL_PORT=$(free_port)
  log "start pgtally --busy-poll-us $BUSY_POLL_US on 127.0.0.1:$POLL_PORT"
  "$PGTALLY" --listen "127.0.0.1:$POLL_PORT" --upstream "127.0.0.1:$PGPORT" --threads "$PGTALLY_THREADS" \
    --log-level warn --max-client-conn 2000 --shutdown-timeout 2 --http off --busy-poll-us "$BUSY_POLL_US" \
    $PGTALLY_ARGS >"$WORK/pgtally-poll.log" 2>&1 &
  POLL_PID=$!
  wait_ready "pgtally --busy-poll-us" "$POLL_PORT" "$POLL_PID" 30
fi

BOUNCER_PORT=$(free_port)
log "start pgbouncer (session mode) on 127.0.0.1:$BOUNCER_PORT"
mkdir -p "$WORK/pgbouncer"
echo '"postgres" ""' >"$WORK/pgbouncer/userlist.txt"
cat >"$WORK/pgbouncer/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$PGPORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/pgbouncer/userlist.txt
pool_mode = session
max_client_conn = 2000
default_pool_size = 1100
max_db_connections = 0
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer/pgbouncer.pid
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
EOF
touch "$WORK/pgbouncer.log"
chown -R postgres:postgres "$WORK/pgbouncer" "$WORK/pgbouncer.log"
runuser -u postgres -- bash -c "ulimit -n 8192; exec /usr/sbin/pgbouncer '$WORK/pgbouncer/pgbouncer.ini'" \
  >"$WORK/pgbouncer.stderr" 2>&1 &
BOUNCER_LAUNCHER=$!
BOUNCER_PID=$(wait_pidfile "$WORK/pgbouncer/pgbouncer.pid" 30) || die "pgbouncer did not start"
wait_ready pgbouncer "$BOUNCER_PORT" "$BOUNCER_PID" 30

declare -A PORT=([direct]=$PGPORT [pgtally]=$TALLY_PORT [pgbouncer]=$BOUNCER_PORT)
declare -A PID=([direct]="" [pgtally]=$PGTALLY_PID [pgbouncer]=$BOUNCER_PID)
TARGETS=(direct pgtally pgbouncer)
if [ -n "$POLL_PID" ]; then
  PORT[pgtally-poll]=$POLL_PORT; PID[pgtally-poll]=$POLL_PID; TARGETS+=(pgtally-poll)
fi

# --- machine ----------------------------------------------------------------------------------
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
LOAD_START=$(load_avg)
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{ print $3 }')
BOUNCER_VERSION=$(/usr/sbin/pgbouncer --version | awk 'NR == 1 { print $2 }')
GIT_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain -- proxy 2>/dev/null)" ]; then GIT_REV="$GIT_REV+local-changes"; fi
log "machine: $(nproc) cores, $CPU_MODEL, $MEM_TOTAL; load average $LOAD_START"

# --- 3. throughput ----------------------------------------------------------------------------
log "pgbench -i -s $SCALE"
pgbench -i -s "$SCALE" -q -h 127.0.0.1 -p "$PGPORT" -U postgres postgres >"$WORK/init.log" 2>&1 \
  || { cat "$WORK/init.log" >&2; die "pgbench -i failed"; }

declare -A TPS_LIST TXNS TICKS FAILED
proxies_alive() {
  local t
  for t in "${TARGETS[@]:1}"; do
    kill -0 "${PID[$t]}" 2>/dev/null || die "$t (pid ${PID[$t]}) is no longer running; see its log below"
  done
}
run_one() {  # target clients mode seconds -> sets RUN_TPS RUN_TXNS RUN_TICKS RUN_FAILED
  local target=$1 c=$2 mode=$3 secs=$4 j out pid before after
  j=$(( c < 2 ? c : 2 ))
  out=$WORK/pgbench.out
  pid=${PID[$target]}
  proxies_alive
  before=0; [ -n "$pid" ] && before=$(cpu_ticks "$pid")
  if ! pgbench -h 127.0.0.1 -p "${PORT[$target]}" -U postgres -n -S -c "$c" -j "$j" \
      -T "$secs" -M "$mode" postgres >"$out" 2>&1; then
    cat "$out" >&2
    die "pgbench failed against $target ($c clients, $mode)"
  fi
  proxies_alive
  after=0; [ -n "$pid" ] && after=$(cpu_ticks "$pid")
  RUN_TPS=$(awk '/^tps = / { print $3; exit }' "$out")
  RUN_TXNS=$(awk -F': ' '/^number of transactions actually processed/ { print $2; exit }' "$out")
  RUN_FAILED=$(awk -F'[: ]+' '/^number of failed transactions/ { print $5; exit }' "$out")
  RUN_FAILED=${RUN_FAILED:-0}
  RUN_TICKS=$((after - before))
  [ -n "$RUN_TPS" ] && [ -n "$RUN_TXNS" ] || { cat "$out" >&2; die "cannot read pgbench output"; }
}

for mode in $BENCH_MODES; do
  for c in $BENCH_CLIENTS; do
    for t in "${TARGETS[@]}"; do
      k="$mode:$c:$t"; TPS_LIST[$k]=""; TXNS[$k]=0; TICKS[$k]=0; FAILED[$k]=0
    done
  done
done

runs_total=$(( $(wc -w <<<"$BENCH_MODES") * $(wc -w <<<"$BENCH_CLIENTS") * ${#TARGETS[@]} * BENCH_ROUNDS ))
log "throughput: $runs_total pgbench runs of ${BENCH_SECONDS}s (about $((runs_total * BENCH_SECONDS / 60 + 1)) min)"
for round in $(seq 1 "$BENCH_ROUNDS"); do
  for mode in $BENCH_MODES; do
    for c in $BENCH_CLIENTS; do
      line="round $round/$BENCH_ROUNDS $mode c=$c:"
      for t in "${TARGETS[@]}"; do
        run_one "$t" "$c" "$mode" "$BENCH_SECONDS"
        k="$mode:$c:$t"
        TPS_LIST[$k]="${TPS_LIST[$k]} $RUN_TPS"
        TXNS[$k]=$(( TXNS[$k] + RUN_TXNS ))
        TICKS[$k]=$(( TICKS[$k] + RUN_TICKS ))
        FAILED[$k]=$(( FAILED[$k] + RUN_FAILED ))
        line="$line $t=$(fmt "$RUN_TPS")"
        [ -n "${PID[$t]}" ] && line="$line ($(fmt "$(calc "$RUN_TICKS * 1000000 / $CLK_TCK / $RUN_TXNS")" 1) us/tx)"
      done
      log "$line [load $(load_avg)]"
    done
  done
done
LOAD_AFTER_TPS=$(load_avg)

# --- 5. soak (through pgtally) ----------------------------------------------------------------
SOAK_SAMPLES=()
SOAK_ERRORS=0; SOAK_TPS=""; SOAK_TXNS=0; SOAK_FAILED=0; SOAK_RC=0; SOAK_LOG_ERRORS=0
if [ "$SOAK_SECONDS" -gt 0 ]; then
  log "soak: ${SOAK_SECONDS}s at $SOAK_CLIENTS clients through pgtally, RSS every 10 s"
  log_lines_before=$(wc -l <"$WORK/pgtally.log")
  pgbench -h 127.0.0.1 -p "$TALLY_PORT" -U postgres -n -S -c "$SOAK_CLIENTS" -j 2 \
    -T "$SOAK_SECONDS" -M prepared -P 60 postgres >"$WORK/soak.out" 2>&1 &
  SOAK_PGBENCH_PID=$!
  soak_start=$SECONDS
  next=$((soak_start + 10))
  while kill -0 "$SOAK_PGBENCH_PID" 2>/dev/null; do
    if [ $SECONDS -ge $next ]; then
      kill -0 "$PGTALLY_PID" 2>/dev/null || break
      SOAK_SAMPLES+=("$((SECONDS - soak_start)):$(rss_bytes "$PGTALLY_PID")")
      next=$((next + 10))
    fi
    sleep 0.5
  done
  wait "$SOAK_PGBENCH_PID" || SOAK_RC=$?
  [ ${#SOAK_SAMPLES[@]} -gt 0 ] || SOAK_SAMPLES+=("$((SECONDS - soak_start)):$(rss_bytes "$PGTALLY_PID")")
  SOAK_PGBENCH_PID=""
  kill -0 "$PGTALLY_PID" 2>/dev/null || die "pgtally exited during the soak"
  SOAK_TPS=$(awk '/^tps = / { print $3; exit }' "$WORK/soak.out")
  SOAK_TXNS=$(awk -F': ' '/^number of transactions actually processed/ { print $2; exit }' "$WORK/soak.out")
  SOAK_FAILED=$(awk -F'[: ]+' '/^number of failed transactions/ { print $5; exit }' "$WORK/soak.out")
  SOAK_FAILED=${SOAK_FAILED:-0}
  SOAK_LOG_ERRORS=$(tail -n +"$((log_lines_before + 1))" "$WORK/pgtally.log" | grep -cE ' (warning|error|critical) ' || true)
  SOAK_ERRORS=$(( SOAK_FAILED + SOAK_LOG_ERRORS + (SOAK_RC != 0 ? 1 : 0) ))
  grep -E '^progress:' "$WORK/soak.out" | sed 's/^/  /' || true
  log "soak: pgbench exit $SOAK_RC, tps ${SOAK_TPS:-?}, failed transactions $SOAK_FAILED, pgtally log warnings/errors $SOAK_LOG_ERRORS"
  [ "$SOAK_RC" -eq 0 ] || { echo "--- soak pgbench output ---"; tail -n 20 "$WORK/soak.out"; }
fi

# --- 4. memory: idle clients ------------------------------------------------------------------
declare -A RSS_BEFORE RSS_AFTER IDLE_OK IDLE_SECONDS
idle_test() {  # target
  local target=$1 pid=${PID[$1]} out=$WORK/idle-$1.out deadline prev cur
  : >"$out"
  RSS_BEFORE[$target]=$(rss_bytes "$pid")
  "$HELPER" "host=127.0.0.1 port=${PORT[$target]} user=postgres dbname=postgres sslmode=disable gssencmode=disable application_name=idle" \
    "$IDLE_CLIENTS" 180 >"$out" 2>"$WORK/idle-$1.err" &
  HELPER_PID=$!
  deadline=$((SECONDS + 200))
  until grep -q '^ready' "$out"; do
    kill -0 "$HELPER_PID" 2>/dev/null || { cat "$WORK/idle-$1.err" >&2; die "idle client helper exited early ($target)"; }
    [ $SECONDS -lt $deadline ] || die "idle clients not ready through $target"
    sleep 0.2
  done
  IDLE_OK[$target]=$(sed -n 's/^ready ok=\([0-9]*\).*/\1/p' "$out")
  IDLE_SECONDS[$target]=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$out")
  local failed
  failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' "$out")
  [ "$failed" = 0 ] || { cat "$WORK/idle-$1.err" >&2; die "$failed of $IDLE_CLIENTS idle connections failed through $target"; }
  # Settled: two samples a second apart agree (or 15 s pass).
  prev=$(rss_bytes "$pid"); deadline=$((SECONDS + 15))
  while :; do
    sleep 1
    cur=$(rss_bytes "$pid")
    [ "$cur" = "$prev" ] || [ $SECONDS -ge $deadline ] && break
    prev=$cur
  done
  RSS_AFTER[$target]=$cur
  stop_pid "$HELPER_PID" TERM 30
  wait "$HELPER_PID" 2>/dev/null || true
  HELPER_PID=""
  log "idle: $target RSS $(fmt "$(calc "${RSS_BEFORE[$target]} / 1024")") KiB -> $(fmt "$(calc "${RSS_AFTER[$target]} / 1024")") KiB with ${IDLE_OK[$target]} idle clients (connected in ${IDLE_SECONDS[$target]} s)"
}
log "memory: $IDLE_CLIENTS idle clients at once through each proxy"
idle_test pgtally
idle_test pgbouncer
LOAD_END=$(load_avg)

# --- 6. report --------------------------------------------------------------------------------
verdict() { if awk "BEGIN { exit !($1) }"; then echo MET; else echo MISSED; fi; }
us_per_tx() {  # key
  local k=$1
  if [ "${TXNS[$k]}" -gt 0 ]; then fmt "$(calc "${TICKS[$k]} * 1000000 / $CLK_TCK / ${TXNS[$k]}")" 1; else echo "-"; fi
}

echo
echo "## pgtally proxy benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "- Command: \`$COMMAND_LINE\`"
echo "- Machine: $(nproc) cores ($CPU_MODEL), $MEM_TOTAL, kernel $(uname -r); shared with other builds: numbers are comparative within this run only (every configuration interleaved per round)."
echo "- Load average (1/5/15 min): $LOAD_START at start, $LOAD_AFTER_TPS after the throughput runs, $LOAD_END at the end."
echo "- PostgreSQL $PG_VERSION (fsync=off, trust, max_connections=1200), pgbouncer $BOUNCER_VERSION (session mode), pgtally $GIT_REV (Release, --threads $PGTALLY_THREADS, --log-level warn, extra arguments: ${PGTALLY_ARGS:-none})."
echo "- pgbench -S (select-only), scale $SCALE, TCP to 127.0.0.1 for all three, -j min(clients,2), ${BENCH_SECONDS}s per run, $BENCH_ROUNDS round(s); TPS is the median over rounds (excluding connection time); CPU us/tx is the proxy's utime+stime (/proc/PID/stat, ${CLK_TCK} Hz ticks) summed over rounds / transactions summed over rounds."
echo
echo "### Throughput"
echo
echo "| mode | clients | direct TPS | pgtally TPS | pgbouncer TPS | pgtally/direct | pgtally/pgbouncer | pgbouncer/direct | pgtally CPU us/tx | pgbouncer CPU us/tx | failed tx | rounds (direct; pgtally; pgbouncer) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
declare -A MED
for mode in $BENCH_MODES; do
  for c in $BENCH_CLIENTS; do
    rounds=""
    fails=0
    for t in direct pgtally pgbouncer; do
      k="$mode:$c:$t"
      # shellcheck disable=SC2086
      MED[$k]=$(median ${TPS_LIST[$k]})
      fails=$((fails + FAILED[$k]))
      r=$(for v in ${TPS_LIST[$k]}; do fmt "$v"; echo -n " "; done)
      rounds="$rounds${rounds:+; }${r% }"
    done
    d=${MED[$mode:$c:direct]} p=${MED[$mode:$c:pgtally]} b=${MED[$mode:$c:pgbouncer]}
    echo "| $mode | $c | $(fmt "$d") | $(fmt "$p") | $(fmt "$b") | $(fmt "$(calc "$p / $d")" 2) | $(fmt "$(calc "$p / $b")" 2) | $(fmt "$(calc "$b / $d")" 2) | $(us_per_tx "$mode:$c:pgtally") | $(us_per_tx "$mode:$c:pgbouncer") | $fails | $rounds |"
  done
done

if [ -n "$POLL_PID" ]; then
  echo
  echo "### pgtally with --busy-poll-us $BUSY_POLL_US (same run, interleaved with the above)"
  echo
  echo "| mode | clients | TPS | /direct | /pgtally | /pgbouncer | CPU us/tx | failed tx | rounds |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  for mode in $BENCH_MODES; do
    for c in $BENCH_CLIENTS; do
      k="$mode:$c:pgtally-poll"
      # shellcheck disable=SC2086
      MED[$k]=$(median ${TPS_LIST[$k]})
      v=${MED[$k]} d=${MED[$mode:$c:direct]} p=${MED[$mode:$c:pgtally]} b=${MED[$mode:$c:pgbouncer]}
      r=$(for x in ${TPS_LIST[$k]}; do fmt "$x"; echo -n " "; done)
      echo "| $mode | $c | $(fmt "$v") | $(fmt "$(calc "$v / $d")" 2) | $(fmt "$(calc "$v / $p")" 2) | $(fmt "$(calc "$v / $b")" 2) | $(us_per_tx "$k") | ${FAILED[$k]} | ${r% } |"
    done
  done
fi

echo
echo "### Memory: $IDLE_CLIENTS idle clients at once (startup + authentication complete, then idle)"
echo
echo "| proxy | RSS before | RSS with idle clients | growth | bytes per idle client |"
echo "|---|---:|---:|---:|---:|"
declare -A PER_CLIENT
for t in pgtally pgbouncer; do
  growth=$(( RSS_AFTER[$t] - RSS_BEFORE[$t] ))
  PER_CLIENT[$t]=$(calc "$growth / ${IDLE_OK[$t]}")
  echo "| $t | $(fmt "$(calc "${RSS_BEFORE[$t]} / 1024")") KiB | $(fmt "$(calc "${RSS_AFTER[$t]} / 1024")") KiB | $(fmt "$(calc "$growth / 1024")") KiB | $(fmt "${PER_CLIENT[$t]}") |"
done
echo
echo "pgtally opens one server connection per client at login (it relays the server's own authentication); pgbouncer in session mode authenticates the client itself and takes a server connection only at the first query, so its idle clients hold no server socket."

if [ "$SOAK_SECONDS" -gt 0 ]; then
  echo
  echo "### Soak: ${SOAK_SECONDS}s, $SOAK_CLIENTS clients, pgbench -S -M prepared through pgtally"
  echo
  echo "| t (s) | pgtally RSS (KiB) |"
  echo "|---|---|"
  for ((i = 0; i < ${#SOAK_SAMPLES[@]}; i += 6)); do
    ts="" rs=""
    for s in "${SOAK_SAMPLES[@]:i:6}"; do
      ts="$ts${ts:+, }${s%%:*}"; rs="$rs${rs:+, }$(fmt "$(calc "${s#*:} / 1024")")"
    done
    echo "| $ts | $rs |"
  done
  first=${SOAK_SAMPLES[0]#*:}; last=${SOAK_SAMPLES[-1]#*:}
  SOAK_GROWTH=$((last - first))
  max=$(printf '%s\n' "${SOAK_SAMPLES[@]}" | cut -d: -f2 | sort -n | tail -1)
  echo
  echo "- Samples: ${#SOAK_SAMPLES[@]}; first $(fmt "$(calc "$first / 1024")") KiB, last $(fmt "$(calc "$last / 1024")") KiB, max $(fmt "$(calc "$max / 1024")") KiB; growth first-to-last $(fmt "$(calc "$SOAK_GROWTH / 1024")") KiB."
  echo "- TPS ${SOAK_TPS:-?} over $SOAK_TXNS transactions; errors: $SOAK_ERRORS (failed transactions $SOAK_FAILED, pgbench exit status $SOAK_RC, pgtally log warnings/errors $SOAK_LOG_ERRORS)."
fi

echo
echo "### Targets"
echo
echo "| target | measured | verdict |"
echo "|---|---|---|"
for mode in $BENCH_MODES; do
  for c in $BENCH_CLIENTS; do
    d=${MED[$mode:$c:direct]} p=${MED[$mode:$c:pgtally]} b=${MED[$mode:$c:pgbouncer]}
    if [ "$c" -eq 1 ]; then
      echo "| $mode, 1 client: pgtally >= ${TARGET_ONE_CLIENT_VS_DIRECT}x direct | $(fmt "$(calc "$p / $d")" 3)x | $(verdict "$p >= $TARGET_ONE_CLIENT_VS_DIRECT * $d") |"
    else
      echo "| $mode, $c clients: pgtally >= pgbouncer TPS | $(fmt "$(calc "$p / $b")" 3)x ($(fmt "$p") vs $(fmt "$b")) | $(verdict "$p >= $b") |"
    fi
  done
done
echo "| idle client RSS <= $TARGET_IDLE_BYTES bytes (pgbouncer: $(fmt "${PER_CLIENT[pgbouncer]}")) | $(fmt "${PER_CLIENT[pgtally]}") bytes | $(verdict "${PER_CLIENT[pgtally]} <= $TARGET_IDLE_BYTES") |"
if [ "$SOAK_SECONDS" -gt 0 ]; then
  echo "| soak: RSS flat (last - first <= $((SOAK_FLAT_BYTES / 1048576)) MiB) and no error | $(fmt "$(calc "$SOAK_GROWTH / 1024")") KiB, $SOAK_ERRORS errors | $(verdict "$SOAK_GROWTH <= $SOAK_FLAT_BYTES && $SOAK_ERRORS == 0") |"
else
  echo "| soak | skipped (SOAK_SECONDS=0) | - |"
fi
