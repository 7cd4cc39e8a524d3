# An on_assign callback that raises: the poll raises a KafkaConsumerError (klient: its
# subclass KafkaConsumerRebalanceError, the README's promise).
from _compat import BOOTSTRAP, RUN_ID, TOPIC, exc, obs
from klient.consumer import ConsumerConfig, KafkaConsumer, KafkaConsumerError
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, key=b"k", value=b"v")
p.flush()


def on_assign(consumer, partitions):
    raise RuntimeError("assign failed")


c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"), on_assign=on_assign)
c.subscribe([TOPIC])
raised = None
for _ in range(20):
    try:
        c.poll_message(1.0)
    except KafkaConsumerError as e:
        raised = e
        break
exc("poll raised", raised)
obs("raised", raised is not None)
c.stop()
