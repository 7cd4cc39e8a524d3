# await relay.arun(source, target, stop_on_empty=True, max_in_flight=2) with a transform
# that returns a new MessageResult built in the released field order.
# topics: 2
import asyncio

from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer, MessageResult
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(6):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

seen = []


def transform(msg):
    seen.append(msg.offset)
    return MessageResult(msg.topic, msg.partition, msg.offset, msg.key, msg.value + f"|offset={msg.offset}".encode(),
                         msg.timestamp)


async def main():
    cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}",
                                        isolation_level="read_committed"))
    prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
    relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=4)
    obs("arun", await relay.arun(TOPIC, TOPIC2, stop_on_empty=True, max_in_flight=2))
    obs("seen", sorted(seen))
    relay.stop()


asyncio.run(main())
