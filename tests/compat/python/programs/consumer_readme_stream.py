# The README's streaming example: for m in consumer.message_stream(timeout=1.0). The
# released stream only runs inside start_consuming: called directly it yields nothing
# (a silent failure, PY-A13); klient streams until break or stop().
from _compat import BOOTSTRAP, RUN_ID, TOPIC, differs, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(5):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
consumer.subscribe([TOPIC])
seen = []
for m in consumer.message_stream(timeout=1.0):
    seen.append(m.value)
    if len(seen) == 3:
        break
differs("streamed", "PY-A13", seen)
consumer.stop()  # stop underlying loop
obs("stream after stop", list(consumer.message_stream(timeout=0.2)))
