# README "Sync Relay with Transactions", producer side: begin, produce(flush=False), commit;
# abort in the handler when still in a transaction.
from _compat import BOOTSTRAP, TOPIC, RUN_ID, obs
from klient.producer import KafkaProducer, ProducerConfig

producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"relay-sync-tx-{RUN_ID}"))
batches = [[(b"k1", b"one"), (None, b"two")], [(b"k3", b"three")], [(b"k4", b"fail")]]
try:
    for batch in batches:
        producer.begin_transaction()
        for key, value in batch:
            if value == b"fail":
                raise RuntimeError("transform failed")
            producer.produce(TOPIC, key=key.decode() if key else None, value=value.upper(), flush=False)
        producer.commit_transaction()
        obs("committed", len(batch))
except RuntimeError as e:
    obs("error", str(e))
    if producer.in_transaction:
        producer.abort_transaction()
        obs("aborted", True)
finally:
    producer.close()
