# The README's relay: ExactlyOnceRelay(cons, prod, transform=transform, batch_size=25) and
# the blocking relay.run("input", "output"), stopped by relay.stop() from another thread
# once the output holds every message (read by a read_committed consumer).
# topics: 2
import threading
import time

from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(4):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}", isolation_level="read_committed"))
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"relay-tx-{RUN_ID}"))


def transform(msg):
    return msg  # identity or modify msg.value


relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=25)


def watch():
    reader = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"reader-{RUN_ID}"))
    reader.subscribe([TOPIC2])
    got = []
    deadline = time.time() + 40
    while len(got) < 4 and time.time() < deadline:
        got += reader.consume_messages(4, 1.0)
    reader.stop()
    relay.stop()


t = threading.Thread(target=watch)
t.start()
try:
    relay.run(TOPIC, TOPIC2)  # blocking
    obs("run ended", "returned")
except Exception as e:  # noqa: BLE001 - the released run may die when stop() closes its consumer
    obs("run ended", "raised")
t.join(60)
obs("watcher done", not t.is_alive())
