"""Smoke program run by tests/wheel/run.sh inside a fresh venv where only the wheel is
installed: produce three keyed messages and consume them back through the installed
package. Usage: python smoke.py BOOTSTRAP TOPIC. Exits non-zero on any mismatch."""

import sys
import time
from pathlib import Path

import klient
from klient import _native
from klient.admin import AdminConfig, KafkaAdmin
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

bootstrap, topic = sys.argv[1], sys.argv[2]

# The package and its library come from the venv, not from a checkout.
pkg = Path(klient.__file__).resolve().parent
lib = Path(_native.lib._name).resolve()
assert Path(sys.prefix).resolve() in pkg.parents, f"klient imported from {pkg}, not from {sys.prefix}"
assert lib == pkg / "_lib" / "libklient.so", f"libklient loaded from {lib}"

admin = KafkaAdmin(AdminConfig(bootstrap_servers=bootstrap))
admin.create_topics([{"topic": topic, "num_partitions": 1, "replication_factor": 1}])
try:
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    sent = [(f"k{i}".encode(), f"v{i}".encode()) for i in range(3)]
    for key, value in sent:
        producer.produce(topic=topic, key=key, value=value)
    producer.flush(30)
    producer.close()

    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=f"{topic}-g", auto_offset_reset="earliest"))
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + 60
    while len(got) < len(sent) and time.monotonic() < deadline:
        for m in consumer.consume_messages(max_messages=10, timeout=1.0):
            got.append((m.key, m.value))
    consumer.close()
    if got != sent:
        sys.exit(f"consumed {got}, want {sent}")
finally:
    admin.delete_topics([topic])
print(f"smoke ok: python {sys.version.split()[0]}, klient {klient.__version__}, {len(got)} messages")
