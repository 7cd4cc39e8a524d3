"""Consume messages as a member of a consumer group, committing after processing.

    python consume.py TOPIC [--group G] [--max N] [--timeout S] [-b HOST:PORT]

Reads until --max messages arrived or --timeout seconds passed, printing each one,
and commits the group's offsets only after a batch is processed (at-least-once: a
crash before the commit re-delivers the batch, never loses it). Run it twice with the
same group: the second run starts after the committed offsets. Prints
"consumed N messages from TOPIC as group G" last.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from klient import ConsumerConfig, KafkaConsumer, KlientError


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("topic")
    ap.add_argument("--group", default="examples-consume", help="consumer group id")
    ap.add_argument("--max", type=int, default=100, help="stop after this many messages (default 100)")
    ap.add_argument("--timeout", type=float, default=10.0, help="stop after this many seconds (default 10)")
    ap.add_argument("-b", "--bootstrap-servers", default=os.environ.get("KLIENT_BOOTSTRAP_SERVERS", "localhost:9092"))
    args = ap.parse_args()

    # Auto-commit off: offsets are committed below, once the messages are processed.
    # A new group starts at the beginning of the topic (auto_offset_reset="earliest").
    consumer = KafkaConsumer(
        ConsumerConfig(bootstrap_servers=args.bootstrap_servers, group_id=args.group, enable_auto_commit=False),
        on_assign=lambda partitions: print(f"assigned {len(partitions)} partition(s)", file=sys.stderr),
    )
    seen = 0
    try:
        consumer.subscribe([args.topic])
        deadline = time.monotonic() + args.timeout
        while seen < args.max and (left := deadline - time.monotonic()) > 0:
            # Up to the remaining count, waiting at most 1 s (or what is left) per batch.
            batch = consumer.consume_messages(max_messages=args.max - seen, timeout=min(1.0, left))
            for m in batch:
                key = m.key.decode() if m.key is not None else None
                value = m.value.decode() if m.value is not None else None
                print(f"{m.topic}[{m.partition}]@{m.offset} key={key} value={value}")
            if batch:
                consumer.commit()  # synchronous: the offsets are stored when it returns
                seen += len(batch)
    finally:
        consumer.close()  # leaves the group at once, so the next member need not wait

    print(f"consumed {seen} messages from {args.topic} as group {args.group}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KlientError as e:  # every klient failure: say what failed, without a traceback
        sys.exit(f"{sys.argv[0]}: {type(e).__name__}: {e}")
