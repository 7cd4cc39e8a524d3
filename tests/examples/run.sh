#!/usr/bin/env bash
# The examples suite: runs every program in examples/python and examples/cli against the
# real broker and checks what they print and what really reached Kafka (read back with
# confluent-kafka, not with klient). Usage: tests/examples/run.sh [pytest args...]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

# The broker address comes from KLIENT_TEST_BOOTSTRAP (run-all.sh exports it); when run
# by hand, take it from build/broker.env. The tests fail (never skip) without it.
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then
  set -a; source build/broker.env; set +a
fi
export KLIENT_TEST_BOOTSTRAP="${KLIENT_TEST_BOOTSTRAP:-}"

# The examples need the CLI and the library the Python package loads.
if [[ ! -x build/bin/klient || ! -f bindings/python/klient/_lib/libklient.so ]]; then
  make --no-print-directory build >/dev/null || { echo "tests/examples: make build failed" >&2; exit 1; }
fi

# pytest and confluent-kafka come from the test venv (tests/venv.sh), never the machine's Python.
PY="$(tests/venv.sh test "${PYTHON_VERSION:-3.11}")" || exit 1

PYTHONPATH="$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
  "$PY" -m pytest -p no:cacheprovider -c tests/examples/pytest.ini tests/examples "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "tests/examples: no tests were collected" >&2
  exit 1
fi
exit $rc
