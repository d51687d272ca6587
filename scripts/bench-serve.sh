#!/usr/bin/env bash
# `miniperm serve` against its baselines, all in ONE run (BENCHMARKS.md, "Serve"):
#   * the disk's ceiling: a write + fdatasync loop (examples/fsync.rs);
#   * an axum hello-world answering a small JSON object (examples/hello.rs);
#   * getSetting of a user with one granted scope;
#   * authorize of a scope already granted (a decision that writes nothing);
#   * durable decisions: authorize of a retired scope (scope.address) for a user never seen before,
#     so every request appends one event and waits for its commit; once with group commit and once
#     with `--single-commit` (one transaction, one fsync per decision).
# Every HTTP figure is `wrk -t2 -cCLIENTS -dSECONDS` over keep-alive loopback connections.
# Usage: scripts/bench-serve.sh [ROUNDS] [SECONDS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-5}
CLIENTS=${3:-64}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
cargo build --release -q -p miniperm-cli
cargo build --release -q -p miniperm-server --example hello --example fsync
BIN=target/release/miniperm
EX=target/release/examples
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HELLO=$(port); GROUP=$(port); SINGLE=$(port)
"$EX/hello" "127.0.0.1:$HELLO" & PIDS+=($!)
"$BIN" serve --listen "127.0.0.1:$GROUP" --db "$TMP/group.sqlite" --rate-limit 4000000000 >/dev/null & PIDS+=($!)
"$BIN" serve --listen "127.0.0.1:$SINGLE" --db "$TMP/single.sqlite" --rate-limit 4000000000 --single-commit >/dev/null & PIDS+=($!)
for p in $HELLO $GROUP $SINGLE; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.1; done
done
SETTING="http://127.0.0.1:$GROUP/v1/apps/wxbench/users/reader/setting"
AUTH="http://127.0.0.1:$GROUP/v1/apps/wxbench/users/reader/authorize"
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"scope":"scope.address"}' "$AUTH"

# Requests/s of one wrk run (fails loudly on socket errors or non-2xx answers).
rate() {
  local out
  out=$(wrk -t2 -c"$CLIENTS" -d"${SECS}s" "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers: $out" >&2; exit 1; fi
  awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out"
}
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m "{}" {print $2}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

fs=$("$EX/fsync" "$TMP" 3)
echo "fsync loop (write 16 B + fdatasync): $fs/s"
for r in $(seq "$ROUNDS"); do
  hello=$(rate "http://127.0.0.1:$HELLO/")
  get=$(rate "$SETTING")
  granted=$(rate -s scripts/wrk/authorize-granted.lua "$AUTH")
  b0=$(metric "$GROUP" miniperm_commit_batch_jobs_sum); c0=$(metric "$GROUP" miniperm_commit_batch_jobs_count)
  group=$(rate -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$GROUP")
  b1=$(metric "$GROUP" miniperm_commit_batch_jobs_sum); c1=$(metric "$GROUP" miniperm_commit_batch_jobs_count)
  single=$(rate -s scripts/wrk/authorize-fresh.lua "http://127.0.0.1:$SINGLE")
  batch=$(python3 -c "print(f'{($b1-$b0)/max(1,$c1-$c0):.1f}')")
  echo "round $r: hello $hello/s | getSetting $get/s ($(ratio "$get" "$hello")x hello) |" \
    "authorize granted $granted/s ($(ratio "$granted" "$hello")x hello) |" \
    "decisions: group $group/s (mean batch $batch) single $single/s |" \
    "group/single $(ratio "$group" "$single")x | group/fsync $(ratio "$group" "$fs")x"
done
