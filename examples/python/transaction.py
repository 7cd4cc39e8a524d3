"""Write messages atomically: one transaction commits, another aborts.

    python transaction.py TOPIC [-b HOST:PORT]

Commits three orders in one transaction, then aborts a second transaction because an
exception is raised inside it. A read_committed consumer (klient's default) then sees
the three committed orders and nothing of the aborted one. Prints
"read_committed sees 3 message(s): ..." last; exits 1 if what it reads is not exactly
the committed orders.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

from klient import ConsumerConfig, KafkaConsumer, KafkaProducer, KlientError, ProducerConfig


class PaymentDeclined(Exception):
    pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("topic")
    ap.add_argument("-b", "--bootstrap-servers", default=os.environ.get("KLIENT_BOOTSTRAP_SERVERS", "localhost:9092"))
    args = ap.parse_args()

    # A transactional id names this producer across restarts: a newer producer with the
    # same id fences an older one, so two copies of one writer never both commit.
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=args.bootstrap_servers, transactional_id=f"examples-tx-{args.topic}"))
    committed = [f"order-{i}" for i in range(3)]
    try:
        with producer.transaction():  # commits when the block ends normally
            for value in committed:
                producer.produce(args.topic, value=value, key="customer-1")
        print(f"committed {len(committed)} orders")

        try:
            with producer.transaction():  # aborts (and re-raises) on an exception
                # flush=True waits until the broker has the message: it is in the log,
                # yet no read_committed consumer will ever see it once the abort is done.
                producer.produce(args.topic, value="order-declined", key="customer-2", flush=True)
                raise PaymentDeclined("card declined")
        except PaymentDeclined as e:
            print(f"aborted a transaction: {e}")
    finally:
        producer.close()

    # A fresh group reads the topic from the beginning with read_committed isolation.
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=args.bootstrap_servers, group_id=f"examples-tx-check-{uuid.uuid4().hex[:8]}",
                                            isolation_level="read_committed"))
    seen: list[str] = []
    try:
        consumer.subscribe([args.topic])
        deadline = time.monotonic() + 15
        # Read until the committed orders are in (or 15 s passed), then one more second
        # to show that the aborted order never becomes visible.
        while len(seen) < len(committed) and time.monotonic() < deadline:
            seen += [m.value.decode() for m in consumer.consume_messages(max_messages=10, timeout=1.0)]
        seen += [m.value.decode() for m in consumer.consume_messages(max_messages=10, timeout=1.0)]
    finally:
        consumer.close()

    print(f"read_committed sees {len(seen)} message(s): {', '.join(seen)}")
    return 0 if seen == committed else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KlientError as e:  # every klient failure: say what failed, without a traceback
        sys.exit(f"{sys.argv[0]}: {type(e).__name__}: {e}")
