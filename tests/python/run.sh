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

PY="${PYTHON:-python3}"
if ! "$PY" -c "import pytest, pytest_asyncio, pytest_cov" 2>/dev/null; then
  echo "tests/python: installing test dependencies" >&2
  "$PY" -m pip install -q "pytest==9.2.0" "pytest-asyncio==1.5.0" "pytest-cov==7.1.0" || exit 1
fi

PYTHONPATH="$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
  "$PY" -m pytest tests/python --cov=klient --cov-report=term-missing --cov-fail-under=90 "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "tests/python: no tests were collected" >&2
  exit 1
fi
exit $rc
