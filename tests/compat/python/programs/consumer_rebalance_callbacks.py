# Rebalance callbacks in the released form: on_assign(consumer, partitions), partitions
# with .topic/.partition/.offset; passed positionally after message_handler.
# partitions: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, key=b"k", value=b"v", partition=1)
p.flush()

assigned = []


def on_assign(consumer, partitions):
    assigned.append(sorted((tp.topic, tp.partition, tp.offset) for tp in partitions))


c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"), None, on_assign)
c.subscribe([TOPIC])
m = None
for _ in range(20):
    m = c.poll_message(1.0)
    if m:
        break
obs("message", [m.partition, m.value])
obs("assigned", assigned)
c.stop()
