# The released single-message poll: poll_message(timeout) -> MessageResult | None, with the
# released field order, dict headers and a (type, ms) timestamp.
import dataclasses

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer, MessageResult
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.produce(TOPIC, value=b"with-headers", headers={"h1": b"x", "h2": b"y"})
p.flush()

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
c.subscribe([TOPIC])
got = []
for _ in range(30):
    m = c.poll_message(timeout=1.0)
    if m is not None:
        got.append(m)
    if len(got) == 4:
        break
obs("type", type(got[0]).__name__)
obs("is MessageResult", isinstance(got[0], MessageResult))
obs("fields", [f.name for f in dataclasses.fields(got[0])])
for m in got:
    obs("message", [m.topic, m.partition, m.offset, m.key, m.value, m.headers, m.is_transactional, m.transaction_id])
    obs("timestamp", [type(m.timestamp).__name__, len(m.timestamp), m.timestamp[0], m.timestamp[1] > 0])
obs("poll at end", c.poll_message(0.5))
c.stop()
