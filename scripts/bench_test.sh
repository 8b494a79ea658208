#!/usr/bin/env bash
# Times `stepwise test` on a generated folder of N test cases (default 1000), each a copy of
# the cases in examples/tests with its own input: mocks, a Retry with backoff, a one-hour Wait.
# Usage: scripts/bench_test.sh [N]   (STEPWISE=path/to/stepwise to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
bin="${STEPWISE:-target/release/stepwise}"
[ -n "${STEPWISE:-}" ] || cargo build --release -q -p stepwise
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cp examples/tests/order.asl.json examples/tests/MockConfigFile.json "$dir/"
kinds=(HappyPath RetryPath Declined)
for i in $(seq 1 "$n"); do
  case "${kinds[$((i % 3))]}" in
    HappyPath) expect="path: [Charge, Approved?, Cool off, Ship]" ;;
    RetryPath) expect="path: [Charge, Approved?, Cool off, Ship]" ;;
    Declined) expect="{error: PaymentDeclined, path: [Charge, Approved?, Declined]}" ;;
  esac
  [ "${kinds[$((i % 3))]}" = Declined ] || expect="{$expect}"
  printf 'name: case %d\ndefinition: order.asl.json\ninput: {orderId: "o-%d", amount: %d}\nmockConfig: MockConfigFile.json\ntestCase: %s\nexpect: %s\n' \
    "$i" "$i" "$i" "${kinds[$((i % 3))]}" "$expect" > "$dir/case$i.test.yaml"
done
start=$(date +%s.%N)
"$bin" test "$dir" > "$dir/out.txt" || { tail -30 "$dir/out.txt"; exit 1; }
end=$(date +%s.%N)
tail -1 "$dir/out.txt"
awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%d cases in %.2f s wall: %.0f cases/s\n", n, e - s, n / (e - s) }'
