"""asyncio: produce concurrently, then read the messages back as an async stream.

    python async_stream.py TOPIC [--count N] [-b HOST:PORT]

aproduce() and amessage_stream() wait on the clients' readiness file descriptors
through the running event loop: no thread per call, and other tasks keep running.
The whole program is bounded by a 30 s asyncio.timeout. Prints
"streamed N of N messages" last; exits 1 if some did not come back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid

from klient import ConsumerConfig, KafkaConsumer, KafkaProducer, KlientError, ProducerConfig


async def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    try:
        # flush=True awaits each delivery; gather sends the concurrent calls together.
        results = await asyncio.gather(*(producer.aproduce(topic, value=f"reading-{i}", key="sensor-1", flush=True) for i in range(count)))
        failed = [r for r in results if not r.success]
        if failed:
            raise RuntimeError(f"{len(failed)} message(s) not delivered: {failed[0].error}")
        print(f"produced {len(results)} messages, last at offset {results[-1].offset}")
    finally:
        producer.close()


async def stream(bootstrap: str, topic: str, count: int) -> int:
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=f"examples-async-{uuid.uuid4().hex[:8]}"))
    n = 0
    try:
        consumer.subscribe([topic])
        # limit= ends the stream after `count` messages; without it the stream runs
        # until consumer.stop() (the surrounding asyncio.timeout bounds it either way).
        async for m in consumer.amessage_stream(timeout=1.0, limit=count):
            n += 1
            print(f"{m.partition}@{m.offset}: {m.value.decode()}")
    finally:
        consumer.close()
    return n


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("topic")
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("-b", "--bootstrap-servers", default=os.environ.get("KLIENT_BOOTSTRAP_SERVERS", "localhost:9092"))
    args = ap.parse_args()

    async with asyncio.timeout(30):  # never wait forever for a broker that is not there
        await produce(args.bootstrap_servers, args.topic, args.count)
        n = await stream(args.bootstrap_servers, args.topic, args.count)
    print(f"streamed {n} of {args.count} messages")
    return 0 if n == args.count else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except (KlientError, TimeoutError) as e:  # say what failed, without a traceback
        sys.exit(f"{sys.argv[0]}: {type(e).__name__}: {str(e) or 'gave up after 30 s'}")
