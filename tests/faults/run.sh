#!/usr/bin/env bash
# The fault suite (make test-faults): Go tests in tests/faults that each drive a PRIVATE
# broker (build/kafka.sh with KLIENT_BROKER_STATE), SIGKILL and restart it, SIGKILL the
# relay from the CLI and Python, and count every message in and out. ~6.5 min on 2 cores.
# Needs build/bin/klient and bindings/python (make build) and KLIENT_TEST_BOOTSTRAP.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [[ -z "${KLIENT_TEST_BOOTSTRAP:-}" && -f build/broker.env ]]; then
  set -a; source build/broker.env; set +a
fi
: "${KLIENT_TEST_BOOTSTRAP:?KLIENT_TEST_BOOTSTRAP not set (make broker-up, then source build/broker.env)}"
export KLIENT_TEST_BOOTSTRAP
# librdkafka logs every refused connection while the private broker is down: keep them
# out of the summary (they stay in the full log).
log=$(mktemp)
go test -count=1 -timeout 40m -v ./tests/faults/ "$@" >"$log" 2>&1
rc=$?
grep -v '^%[0-9]\|^\s*$' "$log" | grep -E '^(=== RUN|--- |    |PASS|FAIL|ok|faults:)' 
echo "tests/faults: full log in $log (exit $rc)"
exit "$rc"
