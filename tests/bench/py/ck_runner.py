"""confluent-kafka-python runner of the benchmark harness (the Python face's peer).

Prints ONE JSON line on stdout; the driver (tests/bench/run.py) measures peak RSS with
wait4. Every mode uses the library the way its documentation does:

  produce   per-message Producer.produce + poll(0) loop, then flush()
  batch     Producer.produce_batch in chunks (present since 2.13), then flush()
  sync      produce + flush per message: the synchronous latency of the library
  consume   Consumer.consume(num_messages=500) until N messages
  pc        one producer and one consumer in this process (the peak-RSS row)

Producers count failures in an on_delivery callback, as any program that must know
whether its data arrived does (klient reports every outcome too).
"""

import argparse
import json
import sys
import time

from bench_common import payload, percentiles, emit

from confluent_kafka import Consumer, KafkaException, Producer


def producer(args, **extra):
    conf = {"bootstrap.servers": args.bootstrap, "acks": args.acks}
    conf.update(extra)
    return Producer(conf)


# klient's consumer defaults differ from librdkafka's on three queue settings; --tuned
# gives confluent-kafka-python the same ones, so the table shows what is the library and
# what is the configuration.
KLIENT_QUEUE_SETTINGS = {"queued.min.messages": 10000, "fetch.queue.backoff.ms": 5,
                         "queued.max.messages.kbytes": 16384}


def consumer(args):
    conf = {
        "bootstrap.servers": args.bootstrap, "group.id": args.group,
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
    }
    if args.tuned:
        conf.update(KLIENT_QUEUE_SETTINGS)
    return Consumer(conf)


class Counter:
    def __init__(self):
        self.errors = 0

    def __call__(self, err, msg):
        if err is not None:
            self.errors += 1


def produce_loop(args, p, val, dr):
    topic, produce, poll = args.topic, p.produce, p.poll
    for _ in range(args.n):
        while True:
            try:
                produce(topic, val, on_delivery=dr)
                break
            except BufferError:
                poll(0.005)  # local queue full: serve delivery reports, retry
        poll(0)
    p.flush()


def run_produce(args):
    p = producer(args)
    val, dr = payload(args.size), Counter()
    start = time.perf_counter()
    produce_loop(args, p, val, dr)
    secs = time.perf_counter() - start
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "errors": dr.errors}


def run_batch(args):
    p = producer(args)
    val, dr = payload(args.size), Counter()
    chunk = [{"value": val} for _ in range(args.batch)]
    start = time.perf_counter()
    sent = 0
    while sent < args.n:
        msgs = chunk[: min(args.batch, args.n - sent)]
        try:
            queued = p.produce_batch(args.topic, msgs, on_delivery=dr)
        except BufferError:
            queued = 0
        if queued < len(msgs):
            # Partly queued: the failed ones carry '_error'; wait for room and resend
            # only the remainder, as the documentation suggests.
            for m in msgs:
                m.pop("_error", None)
            p.poll(0.005)
        sent += queued
        p.poll(0)
    p.flush()
    secs = time.perf_counter() - start
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "errors": dr.errors}


def run_sync(args):
    p = producer(args, **{"linger.ms": 0})
    val = payload(args.size)
    p.produce(args.topic, val)  # warm-up: connection + metadata
    p.flush()
    lat = []
    start = time.perf_counter()
    for _ in range(args.n):
        t0 = time.perf_counter()
        p.produce(args.topic, val)
        p.flush()
        lat.append((time.perf_counter() - t0) * 1000)
    secs = time.perf_counter() - start
    p50, p99 = percentiles(lat)
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "p50_ms": p50, "p99_ms": p99}


def consume_n(args, c):
    """Consume N messages; the clock starts at the first batch, which is not counted."""
    got = counted = nbytes = 0
    start = None
    deadline = time.monotonic() + args.timeout
    while got < args.n:
        if time.monotonic() > deadline:
            raise SystemExit(f"consumed {got} of {args.n} messages before the timeout")
        msgs = c.consume(num_messages=args.batch, timeout=1.0)
        if not msgs:
            continue
        if start is None:
            start = time.perf_counter()
        else:
            counted += len(msgs)
            for m in msgs:
                if m.error():
                    raise KafkaException(m.error())
                nbytes += len(m.value())
        got += len(msgs)
    return counted, nbytes, time.perf_counter() - start


def run_consume(args):
    c = consumer(args)
    c.subscribe([args.topic])
    counted, nbytes, secs = consume_n(args, c)
    c.close()
    return {"msgs": counted, "bytes": nbytes, "secs": secs}


def run_pc(args):
    p = producer(args)
    c = consumer(args)
    c.subscribe([args.topic])
    val, dr = payload(args.size), Counter()
    start = time.perf_counter()
    produce_loop(args, p, val, dr)
    counted, nbytes, _ = consume_n(args, c)
    secs = time.perf_counter() - start
    c.close()
    return {"msgs": args.n, "bytes": 2 * args.n * args.size, "secs": secs, "errors": dr.errors}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["produce", "batch", "sync", "consume", "pc"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", default="bench-ck")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--acks", default="all")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--tuned", action="store_true", help="consumer with klient's queue settings")
    args = ap.parse_args()
    fn = {"produce": run_produce, "batch": run_batch, "sync": run_sync,
          "consume": run_consume, "pc": run_pc}[args.mode]
    emit("confluent-kafka-python", args.mode, fn(args))


if __name__ == "__main__":
    sys.exit(main())
