# A transactional producer used outside a transaction: produce and flush.
from _compat import BOOTSTRAP, TOPIC, RUN_ID, call, obs
from klient.producer import KafkaProducer, ProducerConfig

seen = []
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"txn-out-{RUN_ID}"))
call("produce outside", lambda: p.produce(TOPIC, "outside", callback=lambda r: seen.append(r.success)) and None)
call("flush", p.flush, 10)
obs("callbacks", seen)
obs("in_transaction", p.in_transaction)
with p.transaction():
    p.produce(TOPIC, "inside")
p.close()
