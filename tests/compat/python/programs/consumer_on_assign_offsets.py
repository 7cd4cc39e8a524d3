# The confluent-kafka idiom inside a released on_assign callback: set each partition's
# offset and call consumer.assign(partitions) to start there.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(6):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()


def on_assign(consumer, partitions):
    for tp in partitions:
        tp.offset = 4
    consumer.assign(partitions)


c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"), on_assign=on_assign)
c.subscribe([TOPIC])
got = []
for _ in range(20):
    got += c.consume_messages(2 - len(got), 1.0)
    if len(got) == 2:
        break
obs("started at", [(m.offset, m.value) for m in got])
c.stop()
