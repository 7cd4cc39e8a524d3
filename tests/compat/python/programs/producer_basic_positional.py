# The released argument order: produce(topic, value, key, headers, partition, callback, flush=False)
from _compat import BOOTSTRAP, TOPIC, call, obs
import klient

p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    call(f"produce {i}", p.produce, TOPIC, f"value-{i}")
call("produce key", p.produce, TOPIC, "v", "k")
call("flush", p.flush)
p.close()
obs("done")
