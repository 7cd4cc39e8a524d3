#!/usr/bin/env bash
# Go suite: unit + integration tests of core/ (integration tests read KLIENT_TEST_BOOTSTRAP).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${KLIENT_TEST_BOOTSTRAP:?KLIENT_TEST_BOOTSTRAP not set (use tests/run-all.sh or make test)}"
exec go test -count=1 -timeout 15m ./core/...
