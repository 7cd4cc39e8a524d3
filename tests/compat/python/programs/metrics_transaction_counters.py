# The transaction counters move with begin/commit/abort.
from klient import KafkaProducer, ProducerConfig, metrics

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
p.begin_transaction()
p.produce(TOPIC, b"committed", b"k")
p.commit_transaction()
p.begin_transaction()
p.produce(TOPIC, b"aborted", b"k")
p.abort_transaction()
p.close()
snap = metrics.snapshot()
obs("tx counters", {k: snap[k] for k in ("producer.tx.begin", "producer.tx.commit", "producer.tx.abort")})
obs("consumer counters untouched", {k: v for k, v in snap.items() if k.startswith("consumer.")})
