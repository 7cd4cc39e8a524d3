#!/usr/bin/env bash
# The README's first command ends here: run the end-to-end demo against the broker that
# `make broker-up` started (address in build/broker.env).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
set -a; source build/broker.env; set +a
go run ./examples/demo
