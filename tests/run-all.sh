#!/usr/bin/env bash
# Run every test suite that exists against the broker in build/broker.env.
# Keeps going after a failing suite; exits non-zero if any suite failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ! -f build/broker.env ]]; then
  echo "run-all.sh: build/broker.env missing; run 'make broker-up' first" >&2
  exit 2
fi
set -a
# shellcheck disable=SC1091
source build/broker.env
set +a
export KLIENT_TEST_BOOTSTRAP
echo "run-all.sh: KLIENT_TEST_BOOTSTRAP=$KLIENT_TEST_BOOTSTRAP"

suites=(go c python cli examples wheel compat)
declare -A result seconds
failed=0
for s in "${suites[@]}"; do
  script="tests/$s/run.sh"
  if [[ ! -f "$script" ]]; then
    result[$s]="SKIP (no $script)"
    continue
  fi
  echo "=== suite $s: $script"
  t0=$SECONDS
  if bash "$script"; then
    result[$s]=PASS
  else
    result[$s]="FAIL (exit $?)"
    failed=1
  fi
  seconds[$s]=$((SECONDS - t0))
done

echo
echo "=== summary"
for s in "${suites[@]}"; do
  if [[ -n "${seconds[$s]:-}" ]]; then
    printf '%-8s %s  %ss\n' "$s" "${result[$s]}" "${seconds[$s]}"
  else
    printf '%-8s %s\n' "$s" "${result[$s]}"
  fi
done
exit "$failed"
