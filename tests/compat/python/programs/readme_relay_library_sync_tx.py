# README "Sync Relay with Transactions" (library first), stopped after one batch.
# ConsumerConfig(topics=...) does not exist in the released package (PY-A2): there the
# example dies at construction; this program then subscribes explicitly and its
# message_stream yields nothing (PY-A13). The output goes to a topic the harness does not
# compare.
from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, IS_KLIENT, RUN_ID, TOPIC, obs
from _readme import readme_only

SOURCE = TOPIC
TARGET = f"{TOPIC}-output"

seed = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(25):
    seed.produce(SOURCE, f"v{i}".encode(), f"k{i}".encode())
seed.flush()
seed.close()

consumer = readme_only("topics in ConsumerConfig", "PY-A2", lambda: KafkaConsumer(ConsumerConfig(
    bootstrap_servers=BOOTSTRAP,
    group_id=f"relay-sync-{RUN_ID}",
    topics=[SOURCE],
    isolation_level="read_committed",
    enable_auto_commit=False,  # commit only after successful target transaction
)))
if consumer is None:  # the released package
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-sync-{RUN_ID}",
                                            isolation_level="read_committed", enable_auto_commit=False))
    consumer.subscribe([SOURCE])

producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=BOOTSTRAP,
    transactional_id=f"relay-sync-tx-{RUN_ID}"
))


def transform_value(value_bytes: bytes) -> bytes:
    """Example transform: append a marker; return bytes."""
    base = value_bytes.decode() if value_bytes else ""
    return f"{base}|processed".encode()


batch = []
BATCH_SIZE = 25
committed = 0

try:
    for msg in consumer.message_stream(timeout=0.5):
        batch.append(msg)
        if len(batch) >= BATCH_SIZE:
            producer.begin_transaction()
            for m in batch:
                transformed = transform_value(m.value)
                producer.produce(TARGET, key=m.key.decode() if m.key else None, value=transformed, flush=False)
            producer.commit_transaction()
            consumer.commit()  # commit source offsets only after transaction success
            committed += len(batch)
            batch.clear()
            break  # instead of running until Ctrl+C
except KeyboardInterrupt:
    # Allow current batch to finish or abort.
    if producer.in_transaction:
        producer.abort_transaction()
finally:
    consumer.stop()
    producer.close()
if IS_KLIENT:
    assert committed == 25, committed
readme_only("committed", "PY-A13", lambda: committed)
obs("done")
