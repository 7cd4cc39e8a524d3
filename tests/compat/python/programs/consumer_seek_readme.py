# The README's seek example: subscribe, then seek_to_offset at once (before the group
# assigned anything). The released package raises (unknown partition); klient seeks when
# the partitions are assigned (PY-A15). Then poll from that offset.
# partitions: 1
from _compat import BOOTSTRAP, RUN_ID, TOPIC, differs, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(6):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
consumer.subscribe([TOPIC])
try:
    consumer.seek_to_offset(topic=TOPIC, offset=4, partition=0)
    differs("seek before assignment", "PY-A15", "ok")
except Exception as e:  # noqa: BLE001
    differs("seek before assignment", "PY-A15", e)
msg = None
for _ in range(20):
    msg = consumer.poll_message(1.0)
    if msg:
        break
differs("first offset", "PY-A15", msg.offset)
consumer.stop()
