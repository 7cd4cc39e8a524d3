"""RSS over many clients and many messages through the Python package (ctypes -> libklient.so).

A benchmark-style script, not a timed test: it prints the resident set size every
1,000 clients and every 100,000 messages, and exits 1 if the RSS of the second half of a
phase grows by more than --max-growth-mb over its first sample after warm-up.

  PYTHONPATH=bindings/python python3 tests/faults/rss_loop.py [--clients 10000] [--messages 1000000]
"""

import argparse
import os
import sys
import time
import uuid

from klient import AdminConfig, ConsumerConfig, KafkaAdmin, KafkaConsumer, KafkaProducer, ProducerConfig


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", default=os.environ.get("KLIENT_TEST_BOOTSTRAP"))
    ap.add_argument("--clients", type=int, default=10000)
    ap.add_argument("--messages", type=int, default=1000000)
    ap.add_argument("--max-growth-mb", type=float, default=50.0)
    a = ap.parse_args()
    if not a.bootstrap:
        print("KLIENT_TEST_BOOTSTRAP is not set (source build/broker.env)", file=sys.stderr)
        return 2
    bad = False

    def verdict(phase: str, samples: list[float]) -> None:
        nonlocal bad
        base = samples[min(1, len(samples) - 1)]  # after warm-up (first allocations, librdkafka threads)
        growth = samples[-1] - base
        print(f"{phase}: RSS {base:.1f} -> {samples[-1]:.1f} MiB after warm-up (growth {growth:+.1f} MiB)")
        if growth > a.max_growth_mb:
            bad = True

    print(f"start: RSS {rss_mb():.1f} MiB")
    t0 = time.time()
    samples = []
    for i in range(1, a.clients + 1):
        p = KafkaProducer(ProducerConfig(bootstrap_servers=a.bootstrap))
        p.close(5)
        c = KafkaConsumer(ConsumerConfig(bootstrap_servers=a.bootstrap, group_id="rss-loop"))
        c.close()
        if i % 1000 == 0:
            samples.append(rss_mb())
            print(f"clients {i:6d} (producer+consumer pairs): RSS {samples[-1]:.1f} MiB  {time.time() - t0:.0f}s", flush=True)
    if samples:
        verdict("clients", samples)

    topic = f"rss-loop-{uuid.uuid4().hex[:8]}"
    adm = KafkaAdmin(AdminConfig(bootstrap_servers=a.bootstrap))
    adm.create_topics([{"topic": topic, "num_partitions": 2, "replication_factor": 1}])
    adm.close()
    prod = KafkaProducer(ProducerConfig(bootstrap_servers=a.bootstrap, linger_ms=5))
    cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=a.bootstrap, group_id=f"rss-{topic}", topics=[topic]))
    payload = b"x" * 100
    batch = [{"key": b"k%d" % (i % 100), "value": payload} for i in range(10000)]
    sent = got = 0
    samples = []
    t0 = time.time()
    while sent < a.messages:
        prod.produce_batch(batch, topic=topic)
        sent += len(batch)
        prod.flush(60)
        while got < sent:
            got += len(cons.consume_messages(max_messages=10000, timeout=5.0))
        if sent % 100000 == 0:
            samples.append(rss_mb())
            print(f"messages {sent:8d} produced / {got:8d} consumed: RSS {samples[-1]:.1f} MiB  {time.time() - t0:.0f}s", flush=True)
    failures = prod.delivery_failures
    prod.close()
    cons.close()
    print(f"count in {sent}, count out {got}, delivery failures {failures}")
    if samples:
        verdict("messages", samples)
    if got < sent or failures:
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
