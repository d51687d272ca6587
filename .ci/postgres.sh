# shellcheck shell=bash
# Sourced by .ci/run (one line, before cargo test): a throwaway PostgreSQL for the test suite.
# * installs Debian's `postgresql` only when no PostgreSQL binaries are found;
# * initdb in a temp folder (as `nobody` when root: initdb refuses root), unix socket in the same
#   folder, loopback on a free port, fsync off (a test cluster; the benchmarks use their own);
# * exports DATABASE_URL (every test's PostgreSQL half makes its own schema there) and
#   MINIPERM_REQUIRE_PG=1 (a PostgreSQL half that finds no server fails instead of skipping);
# * stops the cluster and deletes the folder when .ci/run exits (an EXIT trap).
pg_t0=$(date +%s)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "== postgres: installing Debian's postgresql"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
pg_root=$(mktemp -d)
pg_as=()
if [ "$(id -u)" = 0 ]; then
  chown nobody:nogroup "$pg_root"
  pg_as=(runuser -u nobody --)
fi
# below the kernel's ephemeral port range (see failover.sh's free_port)
pg_port=25432
while (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; do pg_port=$((pg_port + 1)); done
(cd "$pg_root" && "${pg_as[@]}" "$pg_bin/initdb" -D "$pg_root/data" -U postgres --auth=trust \
  -E UTF8 --locale=C --no-sync >/dev/null)
(cd "$pg_root" && "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_root/data" -l "$pg_root/server.log" -w \
  -o "-p $pg_port -k $pg_root -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
  start >/dev/null)
pg_stop() {
  (cd "$pg_root" && "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_root/data" -m fast stop >/dev/null 2>&1) || true
  rm -rf "$pg_root"
}
trap pg_stop EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
export MINIPERM_REQUIRE_PG=1
echo "== postgres: $("$pg_bin/postgres" --version) on $DATABASE_URL, ready in $(($(date +%s) - pg_t0)) s"
