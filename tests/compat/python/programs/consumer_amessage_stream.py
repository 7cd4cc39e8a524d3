# amessage_stream called directly: the released one yields nothing outside
# astart_consuming (PY-A13); klient streams until break.
import asyncio

from _compat import BOOTSTRAP, RUN_ID, TOPIC, differs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()


async def main():
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
    c.subscribe([TOPIC])
    seen = []

    async def take():
        async for m in c.amessage_stream(timeout=1.0):
            seen.append(m.value)
            if len(seen) == 3:
                break

    await asyncio.wait_for(take(), 30)
    differs("amessage_stream", "PY-A13", seen)
    c.stop()


asyncio.run(main())
