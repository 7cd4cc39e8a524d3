"""klient Python runner of the benchmark harness (bindings/python/klient, on PYTHONPATH).

Prints ONE JSON line on stdout; the driver measures peak RSS. Modes:

  produce   per-message produce(..., flush=False) loop, then flush()
  batch     produce_batch(chunk of --batch, flush=False), then flush()
  aproduce  asyncio: --batch concurrent aproduce(flush=True) tasks at a time (gathered)
  aproduce-queued  asyncio: await aproduce() (flush=False, the default) loop, then aflush()
  sync      produce() (flush=True, waits for the delivery report): latency p50/p99
  consume   consume_messages(max_messages=500) until N messages
  astream   amessage_stream(max_batch=--batch) until N messages
  relay     ExactlyOnceRelay (batch --batch) from --src to --dst until N forwarded
  pc        one KafkaProducer + one KafkaConsumer in this process (the peak-RSS row)
  abi       ns per ctypes call of klient_abi_version (--n calls)
  abi-libc  ns per ctypes call of libc getpagesize (no syscall): the floor of any ctypes call
"""

import argparse
import asyncio
import ctypes
import sys
import threading
import time

from bench_common import emit, payload, percentiles


def producer_config(args, **kw):
    """librdkafka's defaults plus acks, as every other client of the harness runs: the
    ProducerConfig defaults are the released package's (batch.size 16384, linger.ms 0,
    idempotence), which would measure other settings than the peers'."""
    from klient import ProducerConfig
    settings = dict(batch_size=1000000, linger_ms=5, enable_idempotence=False)
    settings.update(kw)
    return ProducerConfig(bootstrap_servers=args.bootstrap, acks=args.acks, **settings)


def new_consumer(args, topic):
    from klient import ConsumerConfig, KafkaConsumer
    return KafkaConsumer(ConsumerConfig(bootstrap_servers=args.bootstrap, group_id=args.group, topics=[topic],
                                        enable_auto_commit=False, auto_offset_reset="earliest"))


def failures(p):
    return getattr(p, "delivery_failures", 0)


def produce_loop(args, p, val):
    topic, produce = args.topic, p.produce
    for _ in range(args.n):
        produce(topic, value=val, flush=False)
    left = p.flush()
    if left:
        raise SystemExit(f"{left} messages still in flight after flush()")


def run_produce(args):
    from klient import KafkaProducer
    p = KafkaProducer(producer_config(args))
    val = payload(args.size)
    start = time.perf_counter()
    produce_loop(args, p, val)
    secs = time.perf_counter() - start
    errs = failures(p)
    p.close()
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "errors": errs}


def run_batch(args):
    from klient import KafkaProducer
    p = KafkaProducer(producer_config(args))
    val = payload(args.size)
    chunk = [val] * args.batch
    start = time.perf_counter()
    sent = 0
    while sent < args.n:
        k = min(args.batch, args.n - sent)
        p.produce_batch(chunk[:k] if k < args.batch else chunk, topic=args.topic, flush=False)
        sent += k
    left = p.flush()
    if left:
        raise SystemExit(f"{left} messages still in flight after flush()")
    secs = time.perf_counter() - start
    errs = failures(p)
    p.close()
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "errors": errs}


def run_aproduce(args):
    from klient import KafkaProducer
    p = KafkaProducer(producer_config(args))
    val = payload(args.size)

    async def main():
        errs = 0
        sent = 0
        while sent < args.n:
            k = min(args.batch, args.n - sent)
            res = await asyncio.gather(*(p.aproduce(args.topic, value=val, flush=True) for _ in range(k)))
            errs += sum(1 for r in res if r.status != "success")
            sent += k
        return errs

    start = time.perf_counter()
    errs = asyncio.run(main())
    secs = time.perf_counter() - start
    p.close()
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "errors": errs,
            "note": f"{args.batch} aproduce() awaited together per step"}


def run_aproduce_queued(args):
    from klient import KafkaProducer
    p = KafkaProducer(producer_config(args))
    val = payload(args.size)

    async def main():
        for _ in range(args.n):
            await p.aproduce(args.topic, value=val)
        return await p.aflush()

    start = time.perf_counter()
    left = asyncio.run(main())
    secs = time.perf_counter() - start
    errs = failures(p) + left
    p.close()
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "errors": errs}


def run_sync(args):
    from klient import KafkaProducer
    p = KafkaProducer(producer_config(args, linger_ms=0))
    val = payload(args.size)
    p.produce(args.topic, value=val, flush=True)  # warm-up: connection + metadata
    lat = []
    start = time.perf_counter()
    for _ in range(args.n):
        t0 = time.perf_counter()
        r = p.produce(args.topic, value=val, flush=True)
        lat.append((time.perf_counter() - t0) * 1000)
        if r.status != "success":
            raise SystemExit(f"sync produce failed: {r}")
    secs = time.perf_counter() - start
    p.close()
    p50, p99 = percentiles(lat)
    return {"msgs": args.n, "bytes": args.n * args.size, "secs": secs, "p50_ms": p50, "p99_ms": p99}


def consume_n(args, c, take):
    """Consume N messages with take(); the clock starts at the first batch (not counted),
    as in every other consumer runner, so the group join is not measured."""
    got = counted = nbytes = 0
    start = None
    deadline = time.monotonic() + args.timeout
    while got < args.n:
        if time.monotonic() > deadline:
            raise SystemExit(f"consumed {got} of {args.n} messages before the timeout")
        msgs = take()
        if not msgs:
            continue
        if start is None:
            start = time.perf_counter()
        else:
            counted += len(msgs)
            for m in msgs:
                nbytes += len(m.value)
        got += len(msgs)
    return counted, nbytes, time.perf_counter() - start


def run_consume(args):
    c = new_consumer(args, args.topic)
    counted, nbytes, secs = consume_n(args, c, lambda: c.consume_messages(max_messages=500, timeout=1.0))
    c.close()
    return {"msgs": counted, "bytes": nbytes, "secs": secs}


def run_astream(args):
    c = new_consumer(args, args.topic)

    async def main():
        got = counted = nbytes = 0
        start = None
        first = args.batch  # the first max_batch messages play the role of the first batch
        async for m in c.amessage_stream(timeout=1.0, limit=args.n, max_batch=args.batch):
            got += 1
            if start is None:
                start = time.perf_counter()
            elif got > first:
                counted += 1
                nbytes += len(m.value)
        return counted, nbytes, time.perf_counter() - start

    counted, nbytes, secs = asyncio.run(asyncio.wait_for(main(), args.timeout))
    c.close()
    return {"msgs": counted, "bytes": nbytes, "secs": secs, "note": f"max_batch={args.batch}"}


def run_relay(args):
    from klient import ExactlyOnceRelay, KafkaProducer
    c = new_consumer(args, args.src)
    p = KafkaProducer(producer_config(args, transactional_id=args.group + "-tx"))
    r = ExactlyOnceRelay(c, p, batch_size=args.batch)
    failure = []

    def run():
        try:
            r.run(args.src, args.dst)
        except BaseException as e:  # reported below
            failure.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    start = None
    deadline = time.monotonic() + args.timeout
    while True:
        if failure:
            raise SystemExit(f"relay failed: {failure[0]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"relay forwarded {r.stats().get('forwarded')} of {args.n} before the timeout")
        st = r.stats()
        if start is None and st.get("consumed", 0) > 0:
            start = time.perf_counter()
        if st.get("forwarded", 0) >= args.n:
            secs = time.perf_counter() - start
            break
        time.sleep(0.001)
    r.stop()
    t.join(30)
    return {"msgs": st["forwarded"], "bytes": st["forwarded"] * args.size, "secs": secs,
            "note": f"{st.get('aborted', 0)} aborted batches" if st.get("aborted") else ""}


def run_pc(args):
    from klient import KafkaProducer
    p = KafkaProducer(producer_config(args))
    c = new_consumer(args, args.topic)
    val = payload(args.size)
    start = time.perf_counter()
    produce_loop(args, p, val)
    consume_n(args, c, lambda: c.consume_messages(max_messages=500, timeout=1.0))
    secs = time.perf_counter() - start
    c.close()
    p.close()
    return {"msgs": args.n, "bytes": 2 * args.n * args.size, "secs": secs}


def time_calls(fn, n):
    for _ in range(1000):  # warm-up
        fn()
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / n


def run_abi(args):
    from klient._native import lib
    ns = time_calls(lib.klient_abi_version, args.n)
    return {"msgs": args.n, "bytes": 0, "secs": 0, "ns_per_call": ns}


def run_abi_libc(args):
    libc = ctypes.CDLL(None)
    ns = time_calls(libc.getpagesize, args.n)
    return {"msgs": args.n, "bytes": 0, "secs": 0, "ns_per_call": ns}


def main():
    modes = {"produce": run_produce, "batch": run_batch, "aproduce": run_aproduce,
             "aproduce-queued": run_aproduce_queued, "sync": run_sync,
             "consume": run_consume, "astream": run_astream, "relay": run_relay, "pc": run_pc,
             "abi": run_abi, "abi-libc": run_abi_libc}
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=sorted(modes))
    ap.add_argument("--bootstrap", default="")
    ap.add_argument("--topic", default="")
    ap.add_argument("--group", default="bench-klient")
    ap.add_argument("--src", default="")
    ap.add_argument("--dst", default="")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--acks", default="all")
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    emit("klient-python", args.mode, modes[args.mode](args))


if __name__ == "__main__":
    sys.exit(main())
