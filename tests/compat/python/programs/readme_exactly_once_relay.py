# README "Exactly-Once Relay Helper": ExactlyOnceRelay(cons, prod, transform=, batch_size=)
# and relay.run(source, target) (stop_on_empty=True instead of blocking forever), then the
# async variant on new input.
# topics: 2
import asyncio

from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs

seed = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    seed.produce(TOPIC, f"v{i}".encode(), f"k{i}".encode())
seed.flush()

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}", isolation_level="read_committed"))
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"relay-tx-{RUN_ID}"))


def transform(msg):
    return msg  # identity or modify msg.value


relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=25, poll_timeout=5.0)
relay.run(TOPIC, TOPIC2, stop_on_empty=True)  # blocking
obs("sync relay done")

for i in range(3, 5):
    seed.produce(TOPIC, f"v{i}".encode(), f"k{i}".encode())
seed.flush()
seed.close()
asyncio.run(relay.arun(TOPIC, TOPIC2, stop_on_empty=True))
obs("async relay done")
cons.stop()
prod.close()
