# flush(timeout=-1) and poll(timeout=0) return the released counts.
from _compat import BOOTSTRAP, TOPIC, call, obs
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
call("flush of a new producer", p.flush)
call("poll of an idle producer", p.poll)
for i in range(20):
    p.produce(TOPIC, f"m{i}")
call("flush(-1)", p.flush, -1)
call("flush(timeout=5)", p.flush, timeout=5)
call("flush(0)", p.flush, 0)
call("poll(0)", p.poll, 0)
call("poll(timeout=0.2)", p.poll, timeout=0.2)
call("flush bad timeout", p.flush, "soon")
p.close()
obs("done")
