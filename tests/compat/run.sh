#!/usr/bin/env bash
# The differential suites: the same Python programs (tests/compat/python) and command
# lines (tests/compat/cli) under glean-klient 0.1.2 from PyPI and under klient, against
# the broker in KLIENT_TEST_BOOTSTRAP; outputs and Kafka contents compared.
# Usage: tests/compat/run.sh [pytest args...]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then
  set -a; source build/broker.env; set +a
fi
export KLIENT_TEST_BOOTSTRAP="${KLIENT_TEST_BOOTSTRAP:-}"
PY="$(tests/venv.sh test 3.12)" || exit 1
tests/venv.sh released >/dev/null || exit 1
"$PY" -m pytest tests/compat -p no:cacheprovider --timeout=300 "$@"
rc=$?
if [[ $rc -eq 5 ]]; then echo "tests/compat: no tests were collected" >&2; exit 1; fi
exit $rc
