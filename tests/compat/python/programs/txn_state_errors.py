# Transaction calls in the wrong state raise KafkaTransactionError.
from _compat import BOOTSTRAP, TOPIC, RUN_ID, call, exc, obs
from klient.producer import KafkaProducer, ProducerConfig

plain = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
obs("plain supports_transactions", plain.supports_transactions)
call("begin on a plain producer", plain.begin_transaction)
call("commit on a plain producer", plain.commit_transaction)
call("abort on a plain producer", plain.abort_transaction)
try:
    with plain.transaction():
        obs("entered", True)
except Exception as e:  # noqa: BLE001 - observed
    exc("context on a plain producer", e)
plain.close()

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"txn-se-{RUN_ID}"))
call("commit without begin", p.commit_transaction)
call("abort without begin", p.abort_transaction)
p.begin_transaction()
call("begin twice", p.begin_transaction)
obs("still in_transaction", p.in_transaction)
p.produce(TOPIC, "kept")
obs("commit", p.commit_transaction().success)
call("commit again", p.commit_transaction)
p.close()
