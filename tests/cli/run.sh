#!/usr/bin/env bash
# CLI suite: runs build/bin/klient (built by `make build`) against the broker in
# KLIENT_TEST_BOOTSTRAP: every command line of the spec, signals, filters, masking,
# bad input. Ends with a one-line summary.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${KLIENT_TEST_BOOTSTRAP:?KLIENT_TEST_BOOTSTRAP not set (use tests/run-all.sh or make test)}"
if [[ ! -x build/bin/klient ]]; then
  echo "tests/cli: build/bin/klient missing; run 'make build' first" >&2
  exit 1
fi
export KLIENT_BIN="$PWD/build/bin/klient"
# `python -m klient` tests run on the test venv's Python (never the machine's)
KLIENT_TEST_PYTHON="$(tests/venv.sh test 3.12)" || exit 1
export KLIENT_TEST_PYTHON
log=$(mktemp)
go test -count=1 -timeout 10m -v ./tests/cli/ 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(grep -c '^\s*--- PASS' "$log")
fail=$(grep -c '^\s*--- FAIL' "$log")
skip=$(grep -c '^\s*--- SKIP' "$log")
rm -f "$log"
echo "tests/cli summary: $pass passed, $fail failed, $skip skipped (exit $rc)"
exit "$rc"
