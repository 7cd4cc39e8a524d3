# produce(..., callback=cb): that message's result goes to cb, not to delivery_callback;
# poll() serves callbacks too.
from _compat import BOOTSTRAP, TOPIC, obs
import time
from klient.producer import KafkaProducer, ProducerConfig

own, every = [], []
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP), delivery_callback=lambda r: every.append(r.offset))
p.produce(TOPIC, "a", callback=lambda r: own.append([r.topic, r.partition, r.offset, r.success, r.error]))
p.produce(TOPIC, "b")
p.produce(TOPIC, "c", None, None, None, lambda r: own.append([r.offset, r.success]))  # positional callback
deadline = time.monotonic() + 20
while (len(own) < 2 or len(every) < 1) and time.monotonic() < deadline:
    p.poll(0.1)
obs("own", own)
obs("every", every)
obs("flush", p.flush())
p.close()
