# README "Continuous Async Transaction Stream" (stopped after two batches instead of Ctrl+C).
import asyncio
import signal

from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs

stop = asyncio.Event()


def handle_sigint(*_):
    stop.set()


signal.signal(signal.SIGINT, handle_sigint)

producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=BOOTSTRAP,
    transactional_id=f"stream-tx-producer-{RUN_ID}"  # stable id per producer instance
))


async def produce_forever(batch_size: int = 5, delay: float = 0.5):
    counter = 0
    while not stop.is_set():
        async with producer.atransaction():  # new transaction each batch
            for i in range(batch_size):
                key = f"user-{counter}".encode()
                value = f"payload-{counter}".encode()
                await producer.aproduce(TOPIC, key=key, value=value)
                counter += 1
        if counter >= 2 * batch_size:
            handle_sigint()  # instead of Ctrl+C
        await asyncio.sleep(delay)  # pacing; remove for max throughput

    # Optional final flush (transactions already committed)
    producer.flush()
    return counter

obs("produced", asyncio.run(produce_forever()))
producer.close()
