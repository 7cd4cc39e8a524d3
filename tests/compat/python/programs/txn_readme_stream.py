# README "Continuous Async Transaction Stream", bounded to three batches.
import asyncio

from _compat import BOOTSTRAP, TOPIC, RUN_ID, obs
from klient.producer import KafkaProducer, ProducerConfig

stop = asyncio.Event()
producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=BOOTSTRAP,
    transactional_id=f"stream-tx-producer-{RUN_ID}",
))


async def produce_forever(batch_size: int = 5, delay: float = 0.05):
    counter = 0
    while not stop.is_set():
        async with producer.atransaction():
            for i in range(batch_size):
                key = f"user-{counter}".encode()
                value = f"payload-{counter}".encode()
                await producer.aproduce(TOPIC, key=key, value=value)
                counter += 1
        obs("batch", counter)
        if counter >= 15:
            stop.set()
        await asyncio.sleep(delay)
    producer.flush()

asyncio.run(produce_forever())
producer.close()
