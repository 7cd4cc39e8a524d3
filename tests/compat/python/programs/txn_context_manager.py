# `with producer.transaction() as tx:` (README form without `as` too): tx.result is begin's
# result; the block's exception aborts and propagates.
from _compat import BOOTSTRAP, TOPIC, RUN_ID, obs
from klient.producer import KafkaProducer, ProducerConfig

producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"txn-cm-{RUN_ID}"))
with producer.transaction():  # README
    producer.produce(TOPIC, key=b"k1", value=b"payload-1")
    producer.produce(TOPIC, key=b"k2", value=b"payload-2")
obs("in_transaction after block", producer.in_transaction)
with producer.transaction() as tx:
    obs("context class", type(tx).__name__)
    obs("result", [tx.result.success, tx.result.operation])
    obs("tx.producer is the producer", tx.producer is producer)
    producer.produce(TOPIC, "in named context")
try:
    with producer.transaction():
        producer.produce(TOPIC, "never visible")
        raise RuntimeError("boom")
except RuntimeError as e:
    obs("raised", str(e))
obs("in_transaction after abort", producer.in_transaction)
ctx = producer.transaction()
obs("isinstance", isinstance(ctx, KafkaProducer.TransactionContext))
obs("result before enter", ctx.result)
producer.close()
