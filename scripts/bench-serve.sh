#!/usr/bin/env bash
# `miniperm serve` against its baselines, all in ONE run (BENCHMARKS.md, "Serve"):
#   * the disk's ceiling: a 4 KiB pwrite + fdatasync loop (examples/fsync.rs), before and after each round;
#   * an axum hello-world answering a small JSON object (examples/hello.rs);
#   * getSetting of a user with one granted scope;
#   * authorize of a scope already granted (a decision that writes nothing);
#   * durable decisions: authorize of a retired scope (scope.address) for a user never seen before,
#     so every request appends one event and waits for its commit; once with group commit and once
#     with `--single-commit` (one transaction, one fsync per decision);
#   * the CPU ceiling of those decisions: the same group-commit service with its store in RAM
#     (/dev/shm, where fsync returns at once): what no batching could beat on this machine.
# Then, in each round, latency under load (issue 21): p50/p99/p99.9 of the hello-world, and of
# getSetting, authorize settled (no write) and a durable decision on SQLite and on PostgreSQL
# (a throwaway cluster with fsync on, when Debian's postgresql is installed), one
# LATENCY_SECONDS run each (wrk's own histogram of every request, scripts/wrk/percentiles.lua).
# Every HTTP figure is `wrk -t2 -cCLIENTS` over keep-alive loopback connections.
# Usage: scripts/bench-serve.sh [ROUNDS] [SLICES] [SLICE_SECONDS] [CLIENTS] [LATENCY_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SLICES=${2:-5}
SLICE=${3:-1}
CLIENTS=${4:-64}
LAT=${5:-5}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q -p miniperm-cli
cargo build --release -q -p miniperm-server --example hello --example fsync
BIN=target/release/miniperm
EX=target/release/examples
TMP=$(mktemp -d)
PIDS=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
PGDIR=
AS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$PGDIR" ]; then
    (cd "$PGDIR" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1) || true
    rm -rf "$PGDIR"
  fi
  rm -rf "$TMP" "${RAMDIR:-}"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HELLO=$(port); GROUP=$(port); SINGLE=$(port); RAM=$(port)
# tmpfs: fsync returns at once there. Without /dev/shm the ceiling cannot be measured.
RAMDIR=$(mktemp -d -p /dev/shm) || { echo "needs a writable /dev/shm (tmpfs) for the RAM ceiling" >&2; exit 2; }
[ "$(stat -f -c %T "$RAMDIR")" = tmpfs ] || { echo "/dev/shm is not a tmpfs: no RAM ceiling" >&2; exit 2; }
"$EX/hello" "127.0.0.1:$HELLO" & PIDS+=($!)
"$BIN" serve --listen "127.0.0.1:$GROUP" --db "$TMP/group.sqlite" --rate-limit 4000000000 >/dev/null & PIDS+=($!)
"$BIN" serve --listen "127.0.0.1:$SINGLE" --db "$TMP/single.sqlite" --rate-limit 4000000000 --single-commit >/dev/null & PIDS+=($!)
"$BIN" serve --listen "127.0.0.1:$RAM" --db "$RAMDIR/ram.sqlite" --rate-limit 4000000000 >/dev/null & PIDS+=($!)
SERVED=($HELLO $GROUP $SINGLE $RAM)
# PostgreSQL for the latency rows: a throwaway cluster, fsync on (as root: run as nobody).
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  PGDIR=$(mktemp -d)
  if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$PGDIR"; AS=(runuser -u nobody --); fi
  PGPORT=$(port); PGSVC=$(port)
  (cd "$PGDIR" && "${AS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null)
  (cd "$PGDIR" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1" start >/dev/null)
  "$BIN" serve --listen "127.0.0.1:$PGSVC" --database-url "postgres://postgres@127.0.0.1:$PGPORT/postgres" \
    --rate-limit 4000000000 >/dev/null & PIDS+=($!)
  SERVED+=($PGSVC)
  echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync on) on port $PGPORT for the latency rows"
else
  echo "no PostgreSQL binaries (apt-get install postgresql): latency on SQLite only"
fi
for p in "${SERVED[@]}"; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
done
SETTING="http://127.0.0.1:$GROUP/v1/apps/wxbench/users/reader/setting"
AUTH="http://127.0.0.1:$GROUP/v1/apps/wxbench/users/reader/authorize"
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"scope":"scope.address"}' "$AUTH"
if [ -n "$PGDIR" ]; then
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"scope":"scope.address"}' \
    "http://127.0.0.1:$PGSVC/v1/apps/wxbench/users/reader/authorize"
fi

# One wrk run: prints "REQUESTS SECONDS" (fails loudly on non-2xx answers).
run() {
  local out
  out=$(wrk -t2 -c"$CLIENTS" -d"${SLICE}s" "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  awk '/requests in/ {n=$1; t=$4; sub(/s,?$/, "", t); print n, t}' <<<"$out"
}
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m "{}" {print $2}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
declare -A N T
add() { # NAME then one wrk run's arguments
  local name=$1 n t; shift
  read -r n t < <(run "$@")
  N[$name]=$(( ${N[$name]:-0} + n )); T[$name]=$(python3 -c "print(${T[$name]:-0} + $t)")
}
rate() { python3 -c "print(f'{${N[$1]}/${T[$1]}:.0f}')"; }
# One wrk run of LAT seconds: prints "P50 P99 P99.9 MAX" in microseconds (fails on non-2xx).
lat() {
  local out
  out=$(wrk -t2 -c"$CLIENTS" -d"${LAT}s" "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  awk '/^percentiles/ {print $2, $3, $4, $5}' <<<"$out"
}
# "p50/p99/p99.9" in ms from lat's output.
ms() { awk '{printf "%.2f/%.2f/%.2f", $1/1000, $2/1000, $3/1000}' <<<"$1"; }
p99() { awk '{print $2}' <<<"$1"; }

# The workloads take turns in short slices, so that the load other programs put on the machine
# falls on all of them alike; each figure is its requests over its own seconds.
fs=$("$EX/fsync" "$TMP" 2)
echo "fsync loop (4 KiB pwrite + fdatasync, overwriting a preallocated file): $fs/s (before the rounds)"
RUN=0
for r in $(seq "$ROUNDS"); do
  N=(); T=()
  b0=$(metric "$GROUP" miniperm_commit_batch_jobs_sum); c0=$(metric "$GROUP" miniperm_commit_batch_jobs_count)
  for _ in $(seq "$SLICES"); do
    add hello "http://127.0.0.1:$HELLO/"
    add get "$SETTING"
    add granted -s scripts/wrk/authorize-granted.lua "$AUTH"
    RUN=$((RUN + 1))
    add group -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$GROUP" -- "r$RUN"
    add single -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$SINGLE" -- "r$RUN"
    add ram -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$RAM" -- "r$RUN"
  done
  b1=$(metric "$GROUP" miniperm_commit_batch_jobs_sum); c1=$(metric "$GROUP" miniperm_commit_batch_jobs_count)
  fs2=$("$EX/fsync" "$TMP" 1)
  batch=$(python3 -c "print(f'{($b1-$b0)/max(1,$c1-$c0):.1f}')")
  # Every answered fresh authorize was a write (the jobs committed may exceed the answers wrk
  # counted by the requests still in flight when a slice ended).
  extra=$(( b1 - b0 - N[group] ))
  [ "$extra" -ge 0 ] && [ "$extra" -le $(( CLIENTS * SLICES )) ] ||
    { echo "group: ${N[group]} answers but $((b1 - b0)) jobs committed (users repeated?)" >&2; exit 1; }
  hello=$(rate hello); get=$(rate get); granted=$(rate granted); group=$(rate group); single=$(rate single); ram=$(rate ram)
  echo "round $r: hello $hello/s | getSetting $get/s ($(ratio "$get" "$hello")x hello) |" \
    "authorize granted $granted/s ($(ratio "$granted" "$hello")x hello) |" \
    "durable decisions: group $group/s (mean batch $batch), single $single/s," \
    "group/single $(ratio "$group" "$single")x | ceiling (group, store in RAM) $ram/s =" \
    "$(ratio "$ram" "$single")x single | fsync loop after the round $fs2/s"
  # Latency under load: the same CLIENTS, each workload one run of LAT seconds.
  PCT=scripts/wrk/percentiles.lua
  l_hello=$(lat -s $PCT "http://127.0.0.1:$HELLO/")
  l_get=$(lat -s $PCT "$SETTING")
  l_granted=$(lat -s scripts/wrk/authorize-granted.lua "$AUTH")
  RUN=$((RUN + 1))
  l_fresh=$(lat -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$GROUP" -- "r$RUN")
  line="latency round $r (ms p50/p99/p99.9, $CLIENTS clients): hello $(ms "$l_hello") |"
  line+=" SQLite: getSetting $(ms "$l_get") (p99 $(ratio "$(p99 "$l_get")" "$(p99 "$l_hello")")x hello's),"
  line+=" authorize settled $(ms "$l_granted"), durable decision $(ms "$l_fresh")"
  if [ -n "$PGDIR" ]; then
    PGB="http://127.0.0.1:$PGSVC/v1/apps/wxbench/users/reader"
    l_pget=$(lat -s $PCT "$PGB/setting")
    l_pgranted=$(lat -s scripts/wrk/authorize-granted.lua "$PGB/authorize")
    l_pfresh=$(lat -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$PGSVC" -- "r$RUN")
    line+=" | PostgreSQL: getSetting $(ms "$l_pget") ($(ratio "$(p99 "$l_pget")" "$(p99 "$l_hello")")x),"
    line+=" authorize settled $(ms "$l_pgranted"), durable decision $(ms "$l_pfresh")"
  fi
  echo "$line"
done
