# README "Synchronous Relay (Simple Transform)", stopped after the input is relayed.
# The released message_stream yields nothing (its loop flag is only set by
# start_consuming), so the relayed output goes to a topic the harness does not compare.
from klient.consumer import KafkaConsumer, ConsumerConfig
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, IS_KLIENT, RUN_ID, TOPIC, obs
from _readme import readme_only

seed = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    seed.produce(TOPIC, f"v{i}".encode(), f"k{i}".encode())
seed.flush()
seed.close()

consumer = KafkaConsumer(ConsumerConfig(
    bootstrap_servers=BOOTSTRAP,
    group_id=f"relay-group-{RUN_ID}",
    isolation_level="read_committed"
))
consumer.subscribe([TOPIC])  # list-only subscription

producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=BOOTSTRAP
))

relayed = []
for msg in consumer.message_stream(timeout=1.0):
    # Basic transform: uppercase value, preserve key
    new_value = msg.value.upper() if msg.value else b""
    producer.produce(f"{TOPIC}-output", key=msg.key, value=new_value)
    relayed.append(new_value)
    if len(relayed) == 3:
        break
producer.flush()
if IS_KLIENT:
    assert relayed == [b"V0", b"V1", b"V2"], relayed
readme_only("relayed", "PY-A13", lambda: relayed)
consumer.stop()
producer.close()
obs("done")
