#!/usr/bin/env bash
# Builds and runs tests/c/bench_abi.c against the broker in build/broker.env.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then set -a; source build/broker.env; set +a; fi
export KLIENT_TEST_BOOTSTRAP
mkdir -p build/tests-c
gcc -std=c11 -O2 -Iinclude -Wall -Wextra -Werror tests/c/bench_abi.c -o build/tests-c/bench_abi \
  -Lbuild/lib -lklient -Wl,-rpath,"$ROOT/build/lib"
exec build/tests-c/bench_abi "$@"
