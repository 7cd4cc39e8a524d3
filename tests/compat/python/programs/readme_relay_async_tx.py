# README "Async Transactional Relay (Batch Atomicity)", stopped after one batch.
# The released amessage_stream yields nothing (see readme_relay_sync.py).
import asyncio

from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, IS_KLIENT, RUN_ID, TOPIC, obs
from _readme import readme_only

seed = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(4):
    seed.produce(TOPIC, f"v{i}".encode(), f"k{i}".encode())
seed.flush()
seed.close()

consumer = KafkaConsumer(ConsumerConfig(
    bootstrap_servers=BOOTSTRAP,
    group_id=f"relay-async-group-{RUN_ID}",
    isolation_level="read_committed"
))
consumer.subscribe([TOPIC])  # list-only subscription

producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=BOOTSTRAP,
    transactional_id=f"relay-tx-producer-{RUN_ID}"
))
out = []


async def relay_forever(batch_size: int = 4):
    buffer = []
    async for msg in consumer.amessage_stream(timeout=1.0):
        buffer.append(msg)
        if len(buffer) >= batch_size:
            async with producer.atransaction():
                for m in buffer:
                    # Example enrichment: append offset metadata
                    enriched = (m.value or b"") + f"|offset={m.offset}".encode()
                    await producer.aproduce(f"{TOPIC}-output", key=m.key, value=enriched)
                    out.append(enriched)
            buffer.clear()
            break  # instead of running forever

asyncio.run(relay_forever())
if IS_KLIENT:
    assert out == [b"v0|offset=0", b"v1|offset=1", b"v2|offset=2", b"v3|offset=3"], out
readme_only("relayed", "PY-A13", lambda: out)
consumer.stop()
producer.close()
obs("done")
