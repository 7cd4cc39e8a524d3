# confluent-kafka's stats_cb through additional_config: the callable gets librdkafka's
# statistics as a JSON string every statistics.interval.ms (the released package calls
# it from flush(), klient from a library thread: both while this loop flushes).
import json
import threading
import time

from _compat import BOOTSTRAP, TOPIC, obs
from klient.producer import KafkaProducer, ProducerConfig

docs = []
got = threading.Event()


def stats(text):
    docs.append(text)
    got.set()


p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, additional_config={"stats_cb": stats, "statistics.interval.ms": 100}))
p.produce(TOPIC, "x")
deadline = time.monotonic() + 10
while not got.is_set() and time.monotonic() < deadline:
    p.flush(0.2)
obs("stats_cb called", got.is_set())
doc = json.loads(docs[0]) if docs else {}
obs("a str", isinstance(docs[0], str) if docs else None)
obs("document type", doc.get("type"))
obs("document names the instance", str(doc.get("name", "")).startswith("rdkafka#producer-"))
p.close()
