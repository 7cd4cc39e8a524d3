# The released argument order: produce(topic, value, key, headers, partition, callback, flush=False)
from _compat import BOOTSTRAP, TOPIC, call, differs, obs
import klient

p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    r = p.produce(TOPIC, f"value-{i}")
    differs(f"produce {i} returns", "PY-P1", r)
differs("produce key returns", "PY-P1", p.produce(TOPIC, "v", "k"))
differs("produce headers returns", "PY-P1", p.produce(TOPIC, b"h", b"hk", {"a": "1", "b": b"2"}))
call("flush", p.flush)
p.close()
obs("done")
