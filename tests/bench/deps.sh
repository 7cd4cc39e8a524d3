#!/usr/bin/env bash
# What `make bench` needs beyond `make test`: kcat (Debian package) and the pinned
# confluent-kafka-python. Only for the benchmarks, so build/deps.sh stays lean.
# Prints the python to run tests/bench/run.py with; progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if ! command -v kcat >/dev/null 2>&1; then
  echo "bench deps: installing kcat" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null
fi

# confluent-kafka-python lives in a venv under build/ (never the machine's Python):
# tests/venv.sh's test venv pins the same version. `make bench` runs tests/bench/run.py
# with that venv's python (printed last), so its runners see confluent_kafka.
want="$(sed -n 's/^confluent-kafka==//p' "$ROOT/tests/bench/requirements.txt")"
py="$("$ROOT/tests/venv.sh" test 3.12)"
have="$("$py" -c 'import confluent_kafka; print(confluent_kafka.__version__)' 2>/dev/null || true)"
if [[ "$have" != "$want" ]]; then
  echo "bench deps: $py has confluent-kafka ${have:-none}, the benchmarks pin $want (align tests/requirements.txt and tests/bench/requirements.txt)" >&2
  exit 1
fi
echo "$py"
