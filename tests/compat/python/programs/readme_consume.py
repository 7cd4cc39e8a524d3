# README "Consuming (poll single / batch / stream)".
import sys
from functools import partial

print = partial(print, file=sys.stderr)  # the README's prints; stdout carries observations
from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, IS_KLIENT, RUN_ID, TOPIC, obs
from _readme import readme_only

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(20):
    p.produce(TOPIC, f"v{i}".encode(), f"k{i}".encode())
p.flush()
p.close()

consumer = readme_only("topics in ConsumerConfig", "PY-A2", lambda: type(KafkaConsumer(ConsumerConfig(
    bootstrap_servers=BOOTSTRAP, group_id=f"demo-{RUN_ID}-x", topics=[TOPIC]))).__name__)
consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"demo-{RUN_ID}"))

# Explicit subscription (list-only API). Provide a list even for a single topic:
consumer.subscribe([TOPIC])

# Single poll (returns MessageResult | None): the released consumer has poll_message only.
msg = readme_only("poll", "PY-A11", lambda: consumer.poll(timeout=10.0))
if msg:
    print(msg.key, msg.value)

# Batch consume (up to max_messages or until timeout window exhausted)
batch = readme_only("consume_messages(max_messages=)", "PY-A12",
                    lambda: [m.offset for m in consumer.consume_messages(max_messages=10, timeout=5.0)])
for m in batch or []:
    print(m)

# Streaming (unlimited by default). Break manually.
seen = []


def some_condition():
    return len(seen) >= 1


for m in consumer.message_stream(timeout=1.0):
    print(m.key, m.value)
    seen.append(m.offset)
    if some_condition():
        break
if IS_KLIENT:
    assert len(seen) == 1, seen
readme_only("stream yields", "PY-A13", lambda: len(seen))
consumer.stop()  # stop underlying loop if streaming helper created one
obs("stopped")
