#!/usr/bin/env bash
# The engine's throughput targets, side by side: durable (SQLite, the default) and
# in-memory servers alternate, each fresh, each warmed with 3,000 executions first.
# Prints one JSON line per measurement, prefixed with the store and the run number.
#
#   scripts/bench_engine.sh            # RUNS=3 pairs, release build
#   RUNS=5 STEPWISE=path/to/stepwise scripts/bench_engine.sh
#   BASELINE=path/to/older/stepwise scripts/bench_engine.sh   # each run: baseline, then this build
# The bench client is always $STEPWISE's; with BASELINE, the older build serves every other run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${STEPWISE:-target/release/stepwise}
RUNS=${RUNS:-3}
PORT=${PORT:-18600}
BASELINE=${BASELINE:-}

wait_for_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2
  return 1
}

servers=("this=$BIN")
if [ -n "$BASELINE" ]; then servers=("baseline=$BASELINE" "this=$BIN"); fi

for run in $(seq 1 "$RUNS"); do
  for store in durable memory; do
  for server in "${servers[@]}"; do
    build=${server%%=*}
    dir=$(mktemp -d)
    args=(serve --bind "127.0.0.1:$PORT" --data-dir "$dir")
    if [ "$store" = memory ]; then args+=(--store memory); fi
    "${server#*=}" "${args[@]}" >/dev/null 2>&1 &
    pid=$!
    wait_for_port "$PORT"
    endpoint="http://127.0.0.1:$PORT"
    "$BIN" bench pass10 --endpoint "$endpoint" -n 3000 -c 64 >/dev/null
    echo "build=$build store=$store run=$run $("$BIN" bench pass10 --endpoint "$endpoint" -n 20000 -c 64 --server-pid "$pid" | tail -1)"
    echo "build=$build store=$store run=$run $("$BIN" bench activity --endpoint "$endpoint" -n 20000 -c 64 --workers 32 --server-pid "$pid" | tail -1)"
    echo "build=$build store=$store run=$run $("$BIN" bench jsonata-beside --endpoint "$endpoint" -n 5000 -c 16 --server-pid "$pid" | tail -1)"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
    PORT=$((PORT + 1))
  done
  done
done
