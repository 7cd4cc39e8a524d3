# ExactlyOnceRelay(source_consumer, target_producer, transform, batch_size) with
# run(source, target, stop_on_empty=True): the transform gets MessageResults and may
# change them; run returns once the source is drained.
# topics: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(7):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

seen = []


def transform(msg):
    seen.append([type(msg).__name__, msg.topic, msg.offset, msg.key, msg.value, msg.headers, msg.timestamp[0]])
    msg.value = msg.value.upper()
    return msg


cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}"))
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
relay = ExactlyOnceRelay(cons, prod, transform, batch_size=3)
obs("run", relay.run(TOPIC, TOPIC2, stop_on_empty=True))
obs("seen", seen)
relay.stop()
