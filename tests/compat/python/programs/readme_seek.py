# README "Seeking to Specific Offsets".
import sys
from functools import partial

print = partial(print, file=sys.stderr)  # the README's prints; stdout carries observations
from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from _readme import readme_only

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    p.produce(TOPIC, f"v{i}".encode(), b"k")
p.flush()
p.close()

consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"demo-{RUN_ID}"))
consumer.subscribe([TOPIC])

# Seek to offset 1000 in ALL partitions of the topic
# Right after subscribe no partition is assigned yet: the released seek fails (PY-A15).
readme_only("seek all partitions", "PY-A15", lambda: consumer.seek_to_offset(topic=TOPIC, offset=1000))

# Seek to offset 1000 in a SPECIFIC partition
readme_only("seek partition 0", "PY-A15", lambda: consumer.seek_to_offset(topic=TOPIC, offset=1000, partition=0))

# Now poll or consume from that offset (the released consumer has no poll)
msg = readme_only("poll", "PY-A11", lambda: consumer.poll(timeout=1.0))
if msg:
    print(f"Message at offset {msg.offset}: {msg.value}")
call("seek negative offset", consumer.seek_to_offset, TOPIC, -1)
consumer.stop()
obs("stopped")
