# README "Async Relay with Concurrency", stopped after one batch (the stop event is set
# once a batch is committed; one more input message makes the loop see it).
# See readme_relay_library_sync_tx.py for what the released package does (PY-A2, PY-A13).
import asyncio

from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, IS_KLIENT, RUN_ID, TOPIC, obs
from _readme import readme_only

SOURCE = TOPIC
TARGET = f"{TOPIC}-output"

seed = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(51):
    seed.produce(SOURCE, f"v{i}".encode(), f"k{i}".encode())
seed.flush()
seed.close()

consumer = readme_only("topics in ConsumerConfig", "PY-A2", lambda: KafkaConsumer(ConsumerConfig(
    bootstrap_servers=BOOTSTRAP,
    group_id=f"relay-async-{RUN_ID}",
    topics=[SOURCE],
    isolation_level="read_committed",
    enable_auto_commit=False,
)))
if consumer is None:  # the released package
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-async-{RUN_ID}",
                                            isolation_level="read_committed", enable_auto_commit=False))
    consumer.subscribe([SOURCE])

producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=BOOTSTRAP,
    transactional_id=f"relay-async-tx-{RUN_ID}"
))

stop_event = asyncio.Event()
forwarded = []


def _sigint_handler():
    stop_event.set()


async def transform_bytes(b: bytes) -> bytes:
    # Illustrative async transform (could call external service)
    await asyncio.sleep(0)  # yield
    text = b.decode() if b else ""
    return f"{text}|async".encode()


async def relay_forever(batch_size: int = 50):
    buffer = []
    async for msg in consumer.amessage_stream(timeout=0.5):
        if stop_event.is_set():
            break
        buffer.append(msg)
        if len(buffer) >= batch_size:
            async with producer.atransaction():
                for m in buffer:
                    transformed = await transform_bytes(m.value)
                    await producer.aproduce(TARGET, key=m.key.decode() if m.key else None, value=transformed)
                    forwarded.append(transformed)
            consumer.commit()
            buffer.clear()
            _sigint_handler()  # instead of Ctrl+C
    # Flush residual messages (optional):
    if buffer:
        async with producer.atransaction():
            for m in buffer:
                transformed = await transform_bytes(m.value)
                await producer.aproduce(TARGET, key=m.key.decode() if m.key else None, value=transformed)
        consumer.commit()


async def main():
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(getattr(__import__('signal'), 'SIGINT'), _sigint_handler)
    except (NotImplementedError, ValueError):
        pass
    await relay_forever()
    consumer.stop()
    producer.close()

asyncio.run(main())
if IS_KLIENT:
    assert len(forwarded) == 50 and forwarded[0] == b"v0|async", forwarded[:3]
readme_only("forwarded", "PY-A13", lambda: len(forwarded))
obs("done")
