# produce(..., flush=True) waits for the delivery; produce_batch(..., flush=False) only queues.
from _compat import BOOTSTRAP, TOPIC, call, differs
from klient.producer import KafkaProducer, ProducerConfig

seen = []
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
r = p.produce(TOPIC, "sync", "k", None, None, lambda r: seen.append([r.offset, r.success]), True)
differs("produce flush=True returns", "PY-P1", r)
call("callback ran inside produce", lambda: list(seen))
r = p.produce(TOPIC, "sync-kw", flush=True)
differs("produce flush=True kw returns", "PY-P1", r)
call("flush", p.flush)
p.close()
