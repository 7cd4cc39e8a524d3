#!/usr/bin/env bash
# A day in the life of a topic, with the klient CLI:
#   create it, produce orders from a JSON file, consume them as JSON with a consumer
#   group, check that the group is caught up, relay them exactly once into a second
#   topic (enriched by a transform), read that topic, and delete both.
#
#   examples/cli/orders.sh [TOPIC]          (default: orders-example)
#
# The broker comes from $KLIENT_BOOTSTRAP_SERVERS (default localhost:9092); $KLIENT
# names the CLI (default: klient on PATH; e.g. KLIENT=build/bin/klient, or
# KLIENT="python -m klient"). Every command is bounded by `timeout`, and the script
# stops at the first failing command (set -e).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
read -r -a cli <<<"${KLIENT:-klient}"
topic="${1:-orders-example}"
enriched="$topic-enriched"
group="$topic-billing"

# k ARGS...: the CLI, killed if it runs for more than 30 s.
k() { timeout 30 "${cli[@]}" "$@"; }

# Remove the topics on any exit, also after a failure halfway through.
cleanup() {
  k admin delete-topic "$topic" >/dev/null 2>&1 || true
  k admin delete-topic "$enriched" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "## create $topic (2 partitions) and $enriched"
k admin create-topic "$topic" -p 2 -r 1
k admin create-topic "$enriched" -p 1 -r 1 >/dev/null
k --format table admin describe-topic "$topic"

echo "## produce $here/orders.json, keyed by customer (one customer's orders stay in order)"
k produce from-file "$topic" "$here/orders.json" --key-field customer

echo "## consume them as one JSON line, as group $group (offsets committed)"
# -e: stop at the end of the partitions instead of waiting out -t for 10 messages.
k --compact-json consume batch "$topic" -g "$group" -n 10 -t 10 -e

echo "## check that the group is caught up (its committed offsets are at the end): nothing new"
k --compact-json consume batch "$topic" -g "$group" -n 10 -t 10 -e

echo "## relay $topic -> $enriched exactly once, wrapping each order in an envelope"
# -b 4 --max-batches 1: one transaction of the 4 orders, then stop. The transform is
# an expression of `value` (Starlark in the native klient, Python under `python -m
# klient`; returning None would drop the message).
k relay stream "$topic" "$enriched" -g "$topic-relay" --tx-id "$topic-relay-tx" -b 4 --max-batches 1 \
  -x '"{\"order\": %s, \"status\": \"received\"}" % value'

echo "## read $enriched from the beginning to its end (-e), records only on stdout"
k consume stream "$enriched" --offset beginning -e --events stderr 2>/dev/null

echo "## delete both topics"
k admin delete-topic "$topic"
k admin delete-topic "$enriched" >/dev/null
trap - EXIT
