# close() inside a transaction aborts it; the producer is usable again afterwards.
from _compat import BOOTSTRAP, TOPIC, RUN_ID, obs
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"txn-cl-{RUN_ID}"))
p.begin_transaction()
p.produce(TOPIC, "lost at close")
p.close()
obs("in_transaction after close", p.in_transaction)
r = p.begin_transaction()
obs("begin after close", [r.success, r.operation])
p.produce(TOPIC, "after reopen")
obs("commit", p.commit_transaction().success)
p.close()
