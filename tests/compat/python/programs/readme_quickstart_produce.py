# README "Producing Messages": produce() and aproduce() return a result with .status.
import asyncio

from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, TOPIC, obs
from _readme import areadme_only, readme_only

producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
result = producer.produce(topic=TOPIC, key=b"user-1", value=b"hello")
# print(result.status, result.partition, result.offset): the released produce returns None.
readme_only("result", "PY-P1", lambda: [result.status in ("queued", "success"), result.success in (None, True, False)])


# Async
async def main():
    aresult = await producer.aproduce(topic=TOPIC, key=b"user-2", value=b"hi async")
    readme_only("aresult", "PY-P1", lambda: aresult.status in ("queued", "success"))
asyncio.run(main())

producer.close()
obs("closed")
