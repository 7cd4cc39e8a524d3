"""The exactly-once relay: copy SOURCE to TARGET, transformed, one transaction per batch.

    python relay.py SOURCE TARGET [--group G] [--timeout S] [-b HOST:PORT]

Each batch of source messages is transformed and produced to TARGET in one Kafka
transaction that also commits the group's source offsets: kill the program at any point
and the next run (same group) carries on after the last committed batch, with nothing
lost and nothing written twice. This run stops once SOURCE has been idle for a second
(or after --timeout seconds), then reads TARGET back. Prints
"relayed N message(s) from SOURCE to TARGET" and "TARGET holds N message(s)" last.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid

from klient import ConsumerConfig, ExactlyOnceRelay, KafkaConsumer, KafkaProducer, KlientError, MessageResult, ProducerConfig


def transform(m: MessageResult) -> dict | None:
    """Called for each source message (from one callback per batch). Return what to
    produce: a dict (or bytes/str, a MessageResult, a list to fan out), or None to drop."""
    if m.value is None:
        return None  # a tombstone: nothing to forward
    return {"key": m.key, "value": m.value.upper(), "headers": {"relayed-from": m.topic}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("target")
    ap.add_argument("--group", default="examples-relay", help="the relay's consumer group (its progress)")
    ap.add_argument("--timeout", type=float, default=30.0, help="stop after this many seconds at most (default 30)")
    ap.add_argument("-b", "--bootstrap-servers", default=os.environ.get("KLIENT_BOOTSTRAP_SERVERS", "localhost:9092"))
    args = ap.parse_args()

    # The relay commits the source offsets inside its transactions, so the consumer must
    # not auto-commit; the producer needs a transactional id (one per relay process).
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=args.bootstrap_servers, group_id=args.group, enable_auto_commit=False))
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=args.bootstrap_servers, transactional_id=f"{args.group}-{args.source}"))
    relay = ExactlyOnceRelay(consumer, producer, transform=transform, batch_size=25, poll_timeout=1.0)

    # run() blocks until stop(), Ctrl-C or (stop_on_empty) an idle source; the timer
    # bounds it. stop() lets the open batch commit, then closes both clients.
    timer = threading.Timer(args.timeout, relay.stop)
    timer.start()
    try:
        relay.run(args.source, args.target, stop_on_empty=True)
    finally:
        timer.cancel()
    stats = relay.stats()
    print(f"relayed {stats['forwarded']} message(s) from {args.source} to {args.target} in {stats['batches']} transaction(s)")

    # What a downstream read_committed consumer sees in TARGET.
    reader = KafkaConsumer(ConsumerConfig(bootstrap_servers=args.bootstrap_servers, group_id=f"examples-relay-check-{uuid.uuid4().hex[:8]}"))
    seen = []
    try:
        reader.subscribe([args.target])
        deadline = time.monotonic() + 15
        while len(seen) < stats["forwarded"] and time.monotonic() < deadline:
            seen += reader.consume_messages(max_messages=100, timeout=1.0)
    finally:
        reader.close()
    for m in seen:
        key = m.key.decode() if m.key is not None else None
        print(f"{m.topic}[{m.partition}]@{m.offset} key={key} value={m.value.decode()}")
    print(f"{args.target} holds {len(seen)} message(s)")
    return 0 if len(seen) == stats["forwarded"] else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KlientError as e:  # every klient failure: say what failed, without a traceback
        sys.exit(f"{sys.argv[0]}: {type(e).__name__}: {e}")
