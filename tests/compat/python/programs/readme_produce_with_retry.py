# README "Retriable Produce": produce_with_retry and aproduce_with_retry.
import asyncio

from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, TOPIC, call

producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
call("produce_with_retry", lambda: (producer.produce_with_retry(TOPIC, value=b"data", max_attempts=5, base_backoff=0.05), None)[1])


async def main():
    await producer.aproduce_with_retry(TOPIC, value=b"data")
call("aproduce_with_retry", lambda: asyncio.run(main()))
call("flush", producer.flush, 10)
producer.close()
