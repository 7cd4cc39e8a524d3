# The README's consuming example: ConsumerConfig(topics=[...]), poll(timeout=1.0),
# consume_messages(max_messages=10, timeout=5.0). The released package has none of
# topics=, poll or max_messages (PY-A2, PY-A11, PY-A12); its equivalents give the same messages.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, differs, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(8):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

try:
    cfg = ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}", topics=[TOPIC])
    differs("ConsumerConfig(topics=)", "PY-A2", "ok")
except TypeError as e:
    differs("ConsumerConfig(topics=)", "PY-A2", e)
    cfg = ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}")
consumer = KafkaConsumer(cfg)
consumer.subscribe([TOPIC])  # list of topic strings
poll = getattr(consumer, "poll", None)
differs("has poll", "PY-A11", poll is not None)
poll = poll or consumer.poll_message
msg = None
for _ in range(20):
    msg = poll(timeout=1.0)
    if msg:
        break
obs("poll", [msg.key, msg.value])
try:
    batch = consumer.consume_messages(max_messages=4, timeout=5.0)
    differs("max_messages", "PY-A12", "ok")
except TypeError as e:
    differs("max_messages", "PY-A12", e)
    batch = consumer.consume_messages(4, 5.0)
obs("batch", [m.offset for m in batch])
consumer.stop()
