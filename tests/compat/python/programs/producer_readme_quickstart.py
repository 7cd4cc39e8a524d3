# README "Quick Start (Library) / Producing Messages", unchanged except the names.
# Under the released package produce returns None, so `result.status` is an AttributeError.
import asyncio

from _compat import BOOTSTRAP, TOPIC, differs, obs
from klient.producer import KafkaProducer, ProducerConfig

producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
result = producer.produce(topic=TOPIC, key=b"user-1", value=b"hello")
try:
    differs("result", "PY-P1", (result.status, result.partition, result.offset))
except AttributeError as e:
    differs("result", "PY-P1", e)


async def main():
    aresult = await producer.aproduce(topic=TOPIC, key=b"user-2", value=b"hi async")
    try:
        differs("aresult", "PY-P1", aresult.status)
    except AttributeError as e:
        differs("aresult", "PY-P1", e)

asyncio.run(main())
producer.close()
obs("done")
