# begin/commit/abort_transaction return TransactionResult(transaction_id, success, operation,
# error, duration_ms); only committed messages are visible to read_committed readers.
from _compat import BOOTSTRAP, TOPIC, RUN_ID, obs
from klient.producer import KafkaProducer, ProducerConfig

TID = f"txn-ca-{RUN_ID}"


def fields(r):
    return [type(r).__name__, r.transaction_id == TID, r.success, r.operation, r.error, isinstance(r.duration_ms, float)]


p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=TID))
obs("supports_transactions", p.supports_transactions)
obs("in_transaction before", p.in_transaction)
obs("begin", fields(p.begin_transaction()))
obs("in_transaction", p.in_transaction)
p.produce(TOPIC, "committed-1", "k")
p.produce(TOPIC, "committed-2")
obs("commit", fields(p.commit_transaction()))
obs("in_transaction after commit", p.in_transaction)
obs("begin 2", fields(p.begin_transaction()))
p.produce(TOPIC, "aborted")
p.flush()
obs("abort", fields(p.abort_transaction()))
obs("in_transaction after abort", p.in_transaction)
p.close()
