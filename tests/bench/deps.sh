#!/usr/bin/env bash
# What `make bench` needs beyond `make test`: kcat (Debian package) and the pinned
# confluent-kafka-python. Only for the benchmarks, so build/deps.sh stays lean.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if ! command -v kcat >/dev/null 2>&1; then
  echo "bench deps: installing kcat" >&2
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null
fi

want="$(sed -n 's/^confluent-kafka==//p' "$ROOT/tests/bench/requirements.txt")"
have="$(python3 -c 'import confluent_kafka; print(confluent_kafka.version())' 2>/dev/null || true)"
if [[ "$have" != "$want" ]]; then
  echo "bench deps: installing confluent-kafka==$want (have: ${have:-none})" >&2
  python3 -m pip install --quiet --disable-pip-version-check -r "$ROOT/tests/bench/requirements.txt"
fi
