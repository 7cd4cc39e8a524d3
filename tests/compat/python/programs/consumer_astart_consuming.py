# astart_consuming with a coroutine handler that stops the consumer; then a second
# consumer whose astart_consuming task is cancelled (the released one ends normally).
import asyncio

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(4):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

seen = []


async def handler(msg):
    await asyncio.sleep(0)
    seen.append((msg.offset, msg.value))
    if len(seen) == 4:
        consumer.stop()


async def main():
    await asyncio.wait_for(consumer.astart_consuming([TOPIC]), 40)
    obs("seen", seen)
    other = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g2-{RUN_ID}"),
                          message_handler=lambda m: None)
    task = asyncio.create_task(other.astart_consuming(TOPIC))
    await asyncio.sleep(3)
    task.cancel()
    try:
        obs("cancelled task result", await task)
    except asyncio.CancelledError:
        obs("cancelled task result", "CancelledError")


consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"), message_handler=handler)
asyncio.run(main())
