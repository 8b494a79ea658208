#!/usr/bin/env bash
# Run the AWS-recorded Step Functions conformance oracle (LocalStack's snapshot tests,
# via /work/shared/conformance/localstack/run.sh) against a running Stepwise server,
# then print pass/fail counts per category and the failing tests.
#
#   scripts/conformance.sh [CATEGORY...] [-- PYTEST_ARGS...]
#
# CATEGORY (default: the whole v2 suite):
#   base, scenarios, intrinsic_functions, ...   a directory under .../stepfunctions/v2/
#   api:sfn_api, api:sfn_api_activities, ...    a top-level v2/test_<name>.py file
#                                               (as named in report.json's categories)
#   api                                         all top-level v2/test_sfn_api*.py files
#   <path>.py[::test]                           a path relative to v2/ or to LOCALSTACK_SRC
#
# Env:
#   LOCALSTACK_SRC   LocalStack source tree (default /work/localstack-src if present)
#   SFN_ENDPOINT     server under test (default http://127.0.0.1:8083); this script starts nothing
#   SFN_ORACLE_OUT   results dir (default ./sfn-oracle-results)
#   CONFORMANCE_RUNNER   harness (default /work/shared/conformance/localstack/run.sh)
#   CONFORMANCE_STRICT_EXIT=1   exit non-zero when any test fails (default: only on harness errors)
#   CI=true          a missing LocalStack tree is an error instead of a loud no-op
#   Others (SFN_ORACLE_TIMEOUT, SFN_ORACLE_STRICT, SFN_ORACLE_VENV, SFN_ORACLE_PYTHON,
#   SFN_ORACLE_COLLECT_ONLY, ...) are passed through to the harness.
#
# Examples:
#   scripts/conformance.sh api:sfn_api_activities activities
#   scripts/conformance.sh base -- -k wait
#   SFN_ORACLE_COLLECT_ONLY=1 scripts/conformance.sh
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNNER="${CONFORMANCE_RUNNER:-/work/shared/conformance/localstack/run.sh}"
V2="tests/aws/services/stepfunctions/v2"

loud() {
  {
    echo "################################################################################"
    for line in "$@"; do echo "## $line"; done
    echo "################################################################################"
  } >&2
}

if [ -z "${LOCALSTACK_SRC:-}" ] && [ -d /work/localstack-src/$V2 ]; then
  LOCALSTACK_SRC=/work/localstack-src
fi
if [ -z "${LOCALSTACK_SRC:-}" ] || [ ! -d "$LOCALSTACK_SRC/$V2" ]; then
  loud "CONFORMANCE ORACLE NOT RUN: no LocalStack source tree found." \
       "Set LOCALSTACK_SRC to a full LocalStack checkout (one containing $V2)," \
       "or extract one to /work/localstack-src (see /work/shared/conformance/README.md)."
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 0
fi
if [ ! -x "$RUNNER" ] && [ ! -f "$RUNNER" ]; then
  loud "CONFORMANCE ORACLE NOT RUN: harness $RUNNER not found."
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 0
fi
export LOCALSTACK_SRC
export SFN_ENDPOINT="${SFN_ENDPOINT:-http://127.0.0.1:8083}"
export SFN_ORACLE_OUT="${SFN_ORACLE_OUT:-$PWD/sfn-oracle-results}"
case "$SFN_ORACLE_OUT" in /*) ;; *) SFN_ORACLE_OUT="$PWD/$SFN_ORACLE_OUT" ;; esac
mkdir -p "$SFN_ORACLE_OUT"
# a stale report must not be summarised as this run's
rm -f "$SFN_ORACLE_OUT/report.json"

# ---- categories -> test paths
TESTS=()
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
  arg="$1"; shift
  case "$arg" in
    --) PYTEST_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    api)
      for f in "$LOCALSTACK_SRC/$V2"/test_sfn_api*.py; do TESTS+=("$V2/$(basename "$f")"); done ;;
    api:*)
      f="$V2/test_${arg#api:}.py"
      [ -f "$LOCALSTACK_SRC/$f" ] || { echo "conformance: unknown category '$arg' (no $f)" >&2; exit 2; }
      TESTS+=("$f") ;;
    *.py|*.py::*|*/*)
      if [ -e "$LOCALSTACK_SRC/$V2/${arg%%::*}" ]; then TESTS+=("$V2/$arg")
      elif [ -e "$LOCALSTACK_SRC/${arg%%::*}" ]; then TESTS+=("$arg")
      else echo "conformance: no such test path '$arg'" >&2; exit 2; fi ;;
    *)
      if [ -d "$LOCALSTACK_SRC/$V2/$arg" ]; then TESTS+=("$V2/$arg")
      elif [ -f "$LOCALSTACK_SRC/$V2/test_$arg.py" ]; then TESTS+=("$V2/test_$arg.py")
      else
        echo "conformance: unknown category '$arg'. Known:" >&2
        (cd "$LOCALSTACK_SRC/$V2" && ls -d */ 2>/dev/null | tr -d / | grep -v '^__' | tr '\n' ' '; \
         ls test_sfn_api*.py | sed 's/^test_/api:/; s/\.py$//' | tr '\n' ' ') >&2
        echo >&2; exit 2
      fi ;;
  esac
done
if [ ${#TESTS[@]} -gt 0 ]; then
  export SFN_ORACLE_TESTS="${TESTS[*]}"
fi

# ---- is the server there? (skipped for collect-only runs)
if [ "${SFN_ORACLE_COLLECT_ONLY:-0}" != 1 ]; then
  if ! curl -s -o /dev/null --max-time 5 -X POST "$SFN_ENDPOINT/" \
       -H 'Content-Type: application/x-amz-json-1.0' \
       -H 'X-Amz-Target: AWSStepFunctions.ListActivities' -d '{}'; then
    loud "CONFORMANCE ORACLE NOT RUN: nothing answers at SFN_ENDPOINT=$SFN_ENDPOINT." \
         "Start the server first (this script starts nothing), ideally fresh: some tests" \
         "list every state machine/activity of the account."
    exit 2
  fi
fi

echo "conformance: endpoint $SFN_ENDPOINT, tests: ${SFN_ORACLE_TESTS:-whole v2 suite}, results: $SFN_ORACLE_OUT" >&2
set +e
"$RUNNER" ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
rc=$?
set -e

if [ ! -f "$SFN_ORACLE_OUT/report.json" ]; then
  loud "CONFORMANCE ORACLE FAILED: no report.json (harness exit code $rc)." \
       "See $SFN_ORACLE_OUT/pytest.log"
  tail -n 30 "$SFN_ORACLE_OUT/pytest.log" 2>/dev/null >&2 || true
  exit "$([ "$rc" -ne 0 ] && echo "$rc" || echo 2)"
fi

echo
python3 "$SCRIPT_DIR/conformance_summary.py" "$SFN_ORACLE_OUT/report.json"

# pytest: 0 all passed, 1 some failed, 5 nothing collected; >= 2 is a harness problem.
case "$rc" in
  0) exit 0 ;;
  1) [ "${CONFORMANCE_STRICT_EXIT:-0}" = 1 ] && exit 1 || exit 0 ;;
  5) echo "conformance: no tests selected" >&2; exit 0 ;;
  *) echo "conformance: harness exited with $rc (see $SFN_ORACLE_OUT/pytest.log)" >&2; exit "$rc" ;;
esac
