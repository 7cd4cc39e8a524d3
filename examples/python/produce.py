"""Produce a few orders and learn each one's fate from a delivery callback.

    python produce.py TOPIC [--count N] [-b HOST:PORT]

The broker address comes from -b, else $KLIENT_BOOTSTRAP_SERVERS, else localhost:9092.
Prints one line per delivery, then "delivered N of N messages to TOPIC"; exits 1 if
any message was not delivered.
"""

from __future__ import annotations

import argparse
import os
import sys

from klient import KafkaProducer, KlientError, ProducerConfig
from klient.producer import ProduceResult


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("topic")
    ap.add_argument("--count", type=int, default=10, help="messages to produce (default 10)")
    ap.add_argument("-b", "--bootstrap-servers", default=os.environ.get("KLIENT_BOOTSTRAP_SERVERS", "localhost:9092"))
    args = ap.parse_args()

    delivered: list[ProduceResult] = []

    def on_delivery(result: ProduceResult) -> None:
        # Runs on this thread, inside flush() or poll(): no locking needed.
        if result.success:
            delivered.append(result)
            print(f"delivered {result.topic}[{result.partition}]@{result.offset}")
        else:
            print(f"not delivered: {result.error}", file=sys.stderr)

    # linger_ms lets the producer batch the messages into fewer requests.
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=args.bootstrap_servers, linger_ms=5), delivery_callback=on_delivery)
    try:
        for i in range(args.count):
            # flush=False (the default) queues the message and returns at once; the
            # key picks the partition, so one customer's orders stay in order.
            producer.produce(args.topic, value=f"order-{i}", key=f"customer-{i % 3}", headers={"source": "examples/python"})
        # Wait (at most 30 s) for every delivery report; returns how many are still in flight.
        in_flight = producer.flush(timeout=30)
    finally:
        producer.close()

    print(f"delivered {len(delivered)} of {args.count} messages to {args.topic}")
    return 0 if len(delivered) == args.count and in_flight == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KlientError as e:  # every klient failure: say what failed, without a traceback
        sys.exit(f"{sys.argv[0]}: {type(e).__name__}: {e}")
