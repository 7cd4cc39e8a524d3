# README "Multi-Topic Subscription": subscribe to several topics with one list.
# topics: 3
from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, call
import os

TOPIC3 = os.environ["COMPAT_TOPIC3"]
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for t in (TOPIC, TOPIC2, TOPIC3):
    p.produce(t, b"to-" + t[-1:].encode(), b"k")
p.flush()
p.close()

consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"multi-{RUN_ID}"))
consumer.subscribe([TOPIC, TOPIC2, TOPIC3])  # list-only API
got = []
for _ in range(30):
    got += [(m.topic, m.value) for m in consumer.consume_messages(3, 1.0)]
    if len(got) >= 3:
        break
call("received", lambda: sorted(got))
call("not a list", consumer.subscribe, TOPIC)
consumer.stop()
