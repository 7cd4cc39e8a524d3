"""The issue-11 benchmark row: a per-message loop written for the RELEASED glean-klient API,
run unchanged under glean-klient 0.1.2 (its own venv) and under klient.

    p = KafkaProducer(ProducerConfig(bootstrap_servers=...))
    for each message: p.produce(topic, payload)      # released order: value second
    p.flush()

The clock covers the loop and the flush. N stays below librdkafka's default queue of
100,000 messages: the released produce never polls, so a longer loop dies there with
"Local: Queue full" (run.py uses 90,000). Both run the released ProducerConfig defaults
(batch.size 16384, linger.ms 0, idempotence): confluent-kafka itself tops out near 1.3x
the released package's rate with those settings on the machine measured, so this row
measures how close each gets to that ceiling. Afterwards the last message is read back with
confluent-kafka (when importable) to check the payload landed in the value, not the key.
Prints ONE JSON line (bench_common.emit).
"""

import argparse
import sys
import time

from bench_common import emit, payload


def check_last(bootstrap, topic, n, val):
    try:
        from confluent_kafka import Consumer, TopicPartition
    except ImportError:
        return "not checked (no confluent-kafka)"
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{topic}", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0, n - 1)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None or m.error():
                continue
            if m.value() != val or m.key() is not None:
                raise SystemExit(f"last message has key={m.key()!r:.40} value={m.value()!r:.40}: payload not in the value")
            return "payload checked in the value"
        raise SystemExit("could not read the last message back")
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--size", type=int, default=100)
    args = ap.parse_args()
    import klient
    from klient.producer import KafkaProducer, ProducerConfig

    p = KafkaProducer(ProducerConfig(bootstrap_servers=args.bootstrap))
    val = payload(args.size)
    topic = args.topic
    start = time.perf_counter()
    for _ in range(args.n):
        p.produce(topic, val)
    p.flush()
    secs = time.perf_counter() - start
    p.close()
    impl = "klient" if "bindings/python" in (klient.__file__ or "") else "glean-klient"
    note = check_last(args.bootstrap, topic, args.n, val)
    emit(impl, "released-loop", {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "note": note})


if __name__ == "__main__":
    sys.exit(main())
