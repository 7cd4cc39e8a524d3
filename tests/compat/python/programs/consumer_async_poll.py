# apoll_message and aconsume_messages (the released asyncio calls).
import asyncio

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(6):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()


async def main():
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
    c.subscribe([TOPIC])
    m = None
    for _ in range(20):
        m = await c.apoll_message(timeout=1.0)
        if m:
            break
    obs("apoll_message", [m.offset, m.value, m.headers])
    obs("aconsume_messages", [(x.offset, x.value) for x in await c.aconsume_messages(count=3, timeout=10.0)])
    obs("aconsume default", [(x.offset, x.value) for x in await c.aconsume_messages()])
    obs("aconsume rest", [(x.offset, x.value) for x in await c.aconsume_messages(5, 2.0)])
    obs("apoll empty", await c.apoll_message(0.5))
    c.stop()


asyncio.run(main())
