#!/usr/bin/env bash
# The failover trial (issue 21), twice: `miniperm serve` over a PostgreSQL primary and a
# standby on this machine (two throwaway clusters, two ports), a burst of decisions from 8
# clients, `kill -9` of the primary's postmaster, the standby promoted a second later, and the
# burst going on through the SAME service process (its URL names both hosts, with
# target_session_attrs=read-write). Then `failover check` (crates/server/examples/failover.rs)
# reads the new primary and asserts: no acknowledged decision lost, every user's log a
# consistent chain with no decision made twice, every 5xx (or unanswered) request resolved by
# its repeat to the committed result, and the first decision sent after the kill acknowledged
# within FAILOVER_BOUND_MS (default 10 s; ~2 s measured, see SCALING.md).
#   1. synchronous replication (synchronous_standby_names = '*'): the supported setup; any
#      failed assertion fails CI;
#   2. asynchronous replication: the same, except that acknowledged decisions the promotion
#      lost are counted and listed, not failed: SCALING.md says why synchronous is supported;
#   3. PgBouncer in transaction pooling in front of one cluster (Debian's pgbouncer; the URL
#      carries `pgbouncer=true`: no prepared statements), a burst of decisions, the same checks
#      (no kill).
# Called by .ci/run after cargo test (needs the debug binaries); runs on its own too, as root
# (the clusters run as `nobody`) or as a normal user. SCALING.md's recipe is these commands.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
CLIENTS=${FAILOVER_CLIENTS:-8}
BEFORE=${FAILOVER_BEFORE:-1500} # acknowledged answers before the kill
AFTER=${FAILOVER_AFTER:-1500}   # acknowledged answers after it
BOUND_MS=${FAILOVER_BOUND_MS:-10000}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/pg_basebackup" ]; then
  echo "== failover: installing Debian's postgresql"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u nobody --); fi
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$TARGET/debug/miniperm
CLIENT=$TARGET/debug/examples/failover

# Starts the cluster in $2 with its log in $3 and server options $4 (run as $as from $1); a start
# that fails prints the log's tail and is tried once more after 2 s (a start can fail for a
# passing reason, such as a port taken between free_port and the bind); a second failure ends
# the trial.
pg_start() {
  local root=$1 dir=$2 log=$3 opts=${4:-}
  (cd "$root" && "${as[@]}" "$pg_bin/pg_ctl" -D "$dir" -l "$log" -o "$opts" -w start >/dev/null) &&
    return 0
  echo "failover: $dir did not start; its log ends:" >&2
  tail -15 "$log" >&2 || true
  sleep 2
  (cd "$root" && "${as[@]}" "$pg_bin/pg_ctl" -D "$dir" -l "$log" -o "$opts" -w start >/dev/null) &&
    return 0
  echo "failover: $dir did not start again; its log ends:" >&2
  tail -15 "$log" >&2 || true
  exit 1
}

# Ports below the kernel's ephemeral range (32768-60999 here): a port in it can be a client
# socket's local port at the moment the server binds (EADDRINUSE though nothing listens, so
# free_port's probe passes). That failed clean-clone runs.
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
now_ms() { date +%s%3N; }
# GET on the service, without curl (not on a fresh machine): HTTP/1.0, the body on stdout.
http_get() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port"
  printf 'GET %s HTTP/1.0\r\nHost: ci\r\n\r\n' "$2" >&3
  cat <&3
  exec 3<&-
}
# Acknowledged prompt answers so far (the service's own count of 200s on /v1/prompts/{id}).
acked() {
  http_get "$1" /metrics |
    awk -F' ' '/^miniperm_http_requests_total\{method="POST",route="\/v1\/prompts\/\{id\}",status="200"\}/ {print $2}' |
    { read -r n || true; echo "${n:-0}"; }
}
metric() { http_get "$1" /metrics | awk -v m="$2" 'index($0, m " ") == 1 {print $NF}'; }
# Waits (polling, at most $3 s) until `acked` reaches $2.
wait_acked() {
  local until=$(($(date +%s) + $3))
  while [ "$(acked "$1")" -lt "$2" ]; do
    if [ "$(date +%s)" -gt "$until" ]; then
      echo "failover: fewer than $2 acknowledged answers after $3 s" >&2
      return 1
    fi
    sleep 0.2
  done
}

# One trial, in its own shell (`$0 --trial sync|async`), so that `set -e` holds in it and its
# EXIT trap stops what it started: the service, the client, both clusters.
trial() {
  local mode=$1
  local p1 p2 url addr kill_ms promoted_ms before
  # Globals: the EXIT trap reads them after this function returned.
  serve_pid= client_pid= pm=
  root=$(mktemp -d /tmp/miniperm-failover.XXXXXX)
  chmod 755 "$root"
  if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$root"; fi
  cleanup() {
    if [ -n "$client_pid" ]; then kill "$client_pid" 2>/dev/null || true; fi
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    if [ -n "$pm" ]; then kill -9 -- "-$pm" 2>/dev/null || true; fi
    for d in primary standby; do
      if [ -f "$root/$d/postmaster.pid" ]; then
        (cd "$root" && "${as[@]}" "$pg_bin/pg_ctl" -D "$root/$d" -m immediate -w stop >/dev/null 2>&1) || true
      fi
    done
    rm -rf "$root"
  }
  trap cleanup EXIT
  p1=$(free_port 26432)
  p2=$(free_port $((p1 + 1)))
  echo "== failover ($mode replication): primary on port $p1, standby on port $p2, in $root"
  local t=$(date +%s)
  (cd "$root" && "${as[@]}" "$pg_bin/initdb" -D "$root/primary" -U postgres --auth=trust \
    -E UTF8 --locale=C >/dev/null)
  # Both clusters keep fsync on: the trial is about durability.
  cat >>"$root/primary/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $p1
unix_socket_directories = '$root'
max_connections = 100
EOF
  if [ "$mode" = sync ]; then
    echo "synchronous_standby_names = '*'" >>"$root/primary/postgresql.auto.conf"
  fi
  # (Appended as root to a file `nobody` owns: its owner stays `nobody`.)
  pg_start "$root" "$root/primary" "$root/primary.log"
  # The standby: a base backup with -R (standby.signal and primary_conninfo), its own port,
  # and no synchronous standby of its own once promoted (it would wait for one forever).
  (cd "$root" && "${as[@]}" "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$p1" -U postgres \
    -D "$root/standby" -R -X stream -c fast)
  cat >>"$root/standby/postgresql.auto.conf" <<EOF
port = $p2
synchronous_standby_names = ''
EOF
  pg_start "$root" "$root/standby" "$root/standby.log"
  local want=async
  [ "$mode" = sync ] && want=sync
  local until=$(($(date +%s) + 30))
  until [ "$("$pg_bin/psql" -h 127.0.0.1 -p "$p1" -U postgres -Atc \
    "SELECT sync_state FROM pg_stat_replication" 2>/dev/null)" = "$want" ]; do
    if [ "$(date +%s)" -gt "$until" ]; then echo "failover: the standby never streamed ($want)" >&2; exit 1; fi
    sleep 0.2
  done
  echo "failover: both clusters up, standby streaming ($want) in $(($(date +%s) - t)) s"

  url="postgres://postgres@127.0.0.1:$p1,127.0.0.1:$p2/postgres?target_session_attrs=read-write"
  "$BIN" serve --listen 127.0.0.1:0 --database-url "$url" --rate-limit 1000000 \
    >"$root/serve.out" 2>"$root/serve.err" &
  serve_pid=$!
  until=$(($(date +%s) + 60))
  until grep -q "http://" "$root/serve.out" 2>/dev/null; do
    kill -0 "$serve_pid" 2>/dev/null || { cat "$root/serve.err" >&2; exit 1; }
    if [ "$(date +%s)" -gt "$until" ]; then echo "failover: serve did not start" >&2; exit 1; fi
    sleep 0.1
  done
  addr=$(sed -n 's|.*http://\([^/]*\)/v1.*|\1|p' "$root/serve.out" | head -1)
  echo "failover: miniperm serve (pid $serve_pid) on $addr, --database-url '$url'"
  "$CLIENT" run "$addr" "$CLIENTS" "$root/journal" "$root/stop" &
  client_pid=$!
  echo "failover: $CLIENTS clients deciding; waiting for $BEFORE acknowledged answers"
  wait_acked "$addr" "$BEFORE" 120
  pm=$(head -1 "$root/primary/postmaster.pid")
  kill -9 "$pm"
  kill_ms=$(now_ms)
  sleep 1 # the operator (or the failover manager) takes a second to promote
  (cd "$root" && "${as[@]}" "$pg_bin/pg_ctl" -D "$root/standby" -w promote >/dev/null)
  promoted_ms=$(now_ms)
  before=$(acked "$addr")
  echo "failover: kill -9 of the primary's postmaster (pid $pm); the standby promoted" \
    "$((promoted_ms - kill_ms)) ms after the kill; $before answers acknowledged by then; the burst goes on"
  wait_acked "$addr" $((before + AFTER)) 180
  touch "$root/stop"
  wait "$client_pid"
  client_pid=
  echo "failover: serve's counts: $(metric "$addr" 'miniperm_commit_failures_total') failed group commits," \
    "$(metric "$addr" 'miniperm_replays_total{kind="prompt"}') prompt answers and" \
    "$(metric "$addr" 'miniperm_replays_total{kind="key"}') keyed requests answered from receipts"
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
  serve_pid=
  # What is left of the old primary (its backends outlive the postmaster for a moment).
  kill -9 -- "-$pm" 2>/dev/null || true
  echo "failover: checking the new primary (port $p2)"
  if ! "$CLIENT" check "postgres://postgres@127.0.0.1:$p2/postgres" "$root/journal" "$kill_ms" \
    "$mode" "$BOUND_MS"; then
    echo "failover ($mode replication): FAILED" >&2
    exit 1
  fi
  echo "failover ($mode replication): passed"
}

# PgBouncer (pool_mode = transaction) between the service and one cluster.
pooled() {
  local pg pb url addr
  serve_pid= client_pid= pgb_pid=
  root=$(mktemp -d /tmp/miniperm-pgbouncer.XXXXXX)
  chmod 755 "$root"
  if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$root"; fi
  cleanup() {
    if [ -n "$client_pid" ]; then kill "$client_pid" 2>/dev/null || true; fi
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    if [ -n "$pgb_pid" ]; then kill "$pgb_pid" 2>/dev/null || true; fi
    if [ -f "$root/data/postmaster.pid" ]; then
      (cd "$root" && "${as[@]}" "$pg_bin/pg_ctl" -D "$root/data" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    rm -rf "$root"
  }
  trap cleanup EXIT
  pg=$(free_port 26532)
  pb=$(free_port $((pg + 1)))
  echo "== PgBouncer (transaction pooling) on port $pb in front of PostgreSQL on port $pg"
  (cd "$root" && "${as[@]}" "$pg_bin/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null)
  pg_start "$root" "$root/data" "$root/pg.log" "-p $pg -k $root -c listen_addresses=127.0.0.1"
  printf '%s\n' \
    '[databases]' \
    "consent = host=127.0.0.1 port=$pg dbname=postgres user=postgres" \
    '' \
    '[pgbouncer]' \
    'listen_addr = 127.0.0.1' \
    "listen_port = $pb" \
    "unix_socket_dir = $root" \
    'auth_type = trust' \
    "auth_file = $root/users.txt" \
    'pool_mode = transaction' \
    'default_pool_size = 4' \
    'max_client_conn = 200' \
    "logfile = $root/pgbouncer.log" \
    "pidfile = $root/pgbouncer.pid" >"$root/pgbouncer.ini"
  echo '"postgres" ""' >"$root/users.txt"
  if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$root/pgbouncer.ini" "$root/users.txt"; fi
  "${as[@]}" pgbouncer -d "$root/pgbouncer.ini"
  # `-d` returns once it has forked: the daemon writes its pid file and listens a moment later
  # (reading the file at once failed a clean-clone run, and left the daemon running).
  local until_up=$(($(date +%s) + 10))
  until [ -s "$root/pgbouncer.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$pb") 2>/dev/null; do
    if [ "$(date +%s)" -gt "$until_up" ]; then
      echo "failover: PgBouncer did not start; its log ends:" >&2
      tail -15 "$root/pgbouncer.log" >&2 || true
      pkill -f "pgbouncer -d $root/pgbouncer.ini" 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  pgb_pid=$(cat "$root/pgbouncer.pid")
  echo "failover: $(pgbouncer --version | head -1), pool_mode = transaction, default_pool_size = 4"
  url="postgres://postgres@127.0.0.1:$pb/consent?pgbouncer=true"
  "$BIN" serve --listen 127.0.0.1:0 --database-url "$url" --rate-limit 1000000 \
    >"$root/serve.out" 2>"$root/serve.err" &
  serve_pid=$!
  local until=$(($(date +%s) + 60))
  until grep -q "http://" "$root/serve.out" 2>/dev/null; do
    kill -0 "$serve_pid" 2>/dev/null || { cat "$root/serve.err" >&2; exit 1; }
    if [ "$(date +%s)" -gt "$until" ]; then echo "failover: serve did not start" >&2; exit 1; fi
    sleep 0.1
  done
  addr=$(sed -n 's|.*http://\([^/]*\)/v1.*|\1|p' "$root/serve.out" | head -1)
  echo "failover: miniperm serve on $addr, --database-url '$url'; $CLIENTS clients deciding"
  "$CLIENT" run "$addr" "$CLIENTS" "$root/journal" "$root/stop" &
  client_pid=$!
  wait_acked "$addr" "$BEFORE" 120
  touch "$root/stop"
  wait "$client_pid"
  client_pid=
  kill -TERM "$serve_pid"
  wait "$serve_pid" || true
  serve_pid=
  if ! "$CLIENT" check "postgres://postgres@127.0.0.1:$pg/postgres" "$root/journal" 0 steady 0; then
    echo "PgBouncer (transaction pooling): FAILED" >&2
    exit 1
  fi
  echo "PgBouncer (transaction pooling): passed"
}

if [ "${1:-}" = --trial ]; then
  case "$2" in
    pgbouncer) pooled ;;
    *) trial "$2" ;;
  esac
  exit
fi
echo "== failover: the miniperm binary and the trial's client (target/debug/examples/failover)"
# The same build as .ci/run's `cargo test --workspace` (a no-op after it).
cargo test --workspace --locked --no-run >/dev/null 2>&1 || cargo test --workspace --locked --no-run
[ -x "$BIN" ] && [ -x "$CLIENT" ] || { echo "failover: $BIN or $CLIENT was not built" >&2; exit 1; }
status=0
bash "$0" --trial sync || status=1
bash "$0" --trial async || status=1
if ! command -v pgbouncer >/dev/null 2>&1; then
  echo "== failover: installing Debian's pgbouncer"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >/dev/null
fi
bash "$0" --trial pgbouncer || status=1
echo "failover trials: $(($(date +%s) - t0)) s"
exit "$status"
