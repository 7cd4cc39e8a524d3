# KafkaProducer(config, delivery_callback=...): every delivery is reported (inside flush/poll)
# with a ProduceResult carrying the released fields.
from _compat import BOOTSTRAP, TOPIC, call, obs
import klient
from klient.producer import KafkaProducer, ProducerConfig


def fields(r):
    return [type(r).__name__, r.topic, r.partition, r.offset, r.success, r.error]


seen = []
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP), delivery_callback=lambda r: seen.append(fields(r)))
obs("attribute", p.delivery_callback is not None)
for i in range(4):
    p.produce(TOPIC, f"v{i}", f"k{i}")
obs("before flush", seen)
call("flush", p.flush)
obs("after flush", seen)
p.delivery_callback = None
p.produce(TOPIC, "no-callback")
call("flush 2", p.flush)
obs("unchanged", len(seen))
p2 = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP), lambda r: seen.append(fields(r)))  # positional
p2.produce(TOPIC, "positional")
call("flush p2", p2.flush, 10)
obs("p2", seen[-1])
p.close()
p2.close()
