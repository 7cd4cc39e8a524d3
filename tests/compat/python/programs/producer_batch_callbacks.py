# produce_batch(messages, flush=True): dict items with topic/value/key/headers/partition/callback.
# topics: 2
# partitions: 2
from _compat import BOOTSTRAP, TOPIC, TOPIC2, call, differs, obs
from klient.producer import KafkaProducer, ProducerConfig

seen = []
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
msgs = [
    {"topic": TOPIC, "value": "a", "key": "k1", "partition": 0, "callback": lambda r: seen.append(["a", r.partition, r.offset, r.success])},
    {"topic": TOPIC, "value": b"b", "partition": 1, "headers": {"h": "x"}},
    {"topic": TOPIC2, "value": "c", "partition": 0, "callback": lambda r: seen.append(["c", r.topic, r.success])},
]
differs("produce_batch returns", "PY-P1", p.produce_batch(msgs))
obs("callbacks after produce_batch (it flushes)", sorted(seen))
r = p.produce_batch([{"topic": TOPIC2, "value": "later", "partition": 1}], False)  # positional flush=False
differs("produce_batch flush=False returns", "PY-P1", r)
call("flush", p.flush)
differs("empty batch returns", "PY-P1", p.produce_batch([]))
p.close()
