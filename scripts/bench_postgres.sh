#!/usr/bin/env bash
# The PostgreSQL store against the SQLite store, side by side: `pass10` and `activity`
# against fresh servers, alternating, each warmed with 3,000 executions first. PostgreSQL
# runs as a private server in a temporary directory with its durable defaults (fsync on,
# synchronous_commit on), reached over TCP on 127.0.0.1. Prints one JSON line per
# measurement, prefixed with the store and the run number, and the database's CPU time.
#
#   scripts/bench_postgres.sh                 # RUNS=3 pairs, release build, ports 9780-9799
#   RUNS=1 N=5000 STEPWISE=path/to/stepwise scripts/bench_postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${STEPWISE:-target/release/stepwise}
RUNS=${RUNS:-3}
N=${N:-20000}
PG_PORT=${PG_PORT:-9780}
PORT=${PORT:-9781}

bindir=$(dirname "$(command -v initdb 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
work=$(mktemp -d /tmp/sw-pg-bench-XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then
  user=postgres; id -u postgres >/dev/null 2>&1 || user=nobody
  chown "$user:" "$work"; as_pg=(runuser -u "$user" --)
fi
"${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U stepwise -A trust -E UTF8 >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
trap '"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null; rm -rf "$work"' EXIT

wait_for_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2
  return 1
}

# The CPU seconds (user + system) of every process of the PostgreSQL server so far.
pg_cpu() {
  local ticks=0 pid postmaster
  postmaster=$(head -1 "$work/data/postmaster.pid")
  for pid in "$postmaster" $(pgrep -P "$postmaster" || true); do
    [ -r "/proc/$pid/stat" ] || continue
    ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc
}

for run in $(seq 1 "$RUNS"); do
  for store in postgres sqlite; do
    dir=$(mktemp -d)
    args=(serve --bind "127.0.0.1:$PORT" --data-dir "$dir")
    if [ "$store" = postgres ]; then
      db="bench_$run"
      psql -h "$work" -p "$PG_PORT" -U stepwise -d postgres -qc "CREATE DATABASE $db" >/dev/null
      args+=(--store postgres --database-url "postgres://stepwise@127.0.0.1:$PG_PORT/$db")
    fi
    "$BIN" "${args[@]}" >/dev/null 2>&1 &
    pid=$!
    wait_for_port "$PORT"
    endpoint="http://127.0.0.1:$PORT"
    "$BIN" bench pass10 --endpoint "$endpoint" -n 3000 -c 64 >/dev/null
    for scenario in pass10 activity; do
      extra=(-c 64)
      if [ "$scenario" = activity ]; then extra=(-c 16 --workers 32); fi
      before=$(pg_cpu)
      line=$("$BIN" bench "$scenario" --endpoint "$endpoint" -n "$N" "${extra[@]}" --server-pid "$pid" | tail -1)
      echo "store=$store run=$run db_cpu_s=$(echo "$(pg_cpu) - $before" | bc) $line"
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
    PORT=$((PORT + 1))
  done
done
