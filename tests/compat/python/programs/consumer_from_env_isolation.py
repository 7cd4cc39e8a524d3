# The isolation default of from_env_config is read_uncommitted, as in the released
# package (PY-C1): an open transaction's message is visible to it and not to a
# read_committed consumer.
import json
import os
from pathlib import Path

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

home = Path(os.environ["HOME"])
(home / ".kafka").mkdir()
(home / ".kafka" / "config.json").write_text(json.dumps({
    "dev": {"common": {"bootstrap.servers": BOOTSTRAP}, "consumer": {"auto.offset.reset": "earliest"}}}))

tx = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
tx.begin_transaction()
tx.produce(TOPIC, key=b"k", value=b"pending")
tx.flush()

dirty = KafkaConsumer.from_env_config("dev", None, f"dirty-{RUN_ID}")
clean = KafkaConsumer.from_env_config("dev", None, f"clean-{RUN_ID}", "read_committed")
for name, c in (("default", dirty), ("read_committed", clean)):
    c.subscribe([TOPIC])
    got = []
    for _ in range(6):
        got += c.consume_messages(1, 1.0)
        if got:
            break
    obs(name, [c.config.isolation_level, [m.value for m in got]])
    c.stop()
tx.abort_transaction()
