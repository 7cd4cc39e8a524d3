#!/usr/bin/env bash
# The Python suite: pytest + pytest-asyncio against the real broker, with coverage of
# the klient package. Usage: tests/python/run.sh [pytest args...]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

# The broker address comes from KLIENT_TEST_BOOTSTRAP (run-all.sh exports it); when run
# by hand, take it from build/broker.env. Tests fail (never skip) without it.
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then
  set -a; source build/broker.env; set +a
fi
export KLIENT_TEST_BOOTSTRAP="${KLIENT_TEST_BOOTSTRAP:-}"

# pytest and friends live in a venv under build/ (tests/venv.sh), never in the machine's
# Python. PYTHON_VERSION picks the interpreter (default 3.11, the oldest supported).
PY="$(tests/venv.sh test "${PYTHON_VERSION:-3.11}")" || exit 1

PYTHONPATH="$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
  "$PY" -m pytest tests/python --cov=klient --cov-report=term-missing --cov-fail-under=90 "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "tests/python: no tests were collected" >&2
  exit 1
fi
exit $rc
