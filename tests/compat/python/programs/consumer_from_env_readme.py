# The README's factory form KafkaConsumer.from_env_config("dev", topics=["events"]): the
# released factory has no topics parameter (TypeError); klient subscribes (PY-A14).
import json
import os
from pathlib import Path

from _compat import BOOTSTRAP, RUN_ID, TOPIC, differs
from klient.consumer import KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, key=b"k", value=b"v")
p.flush()
home = Path(os.environ["HOME"])
(home / ".kafka").mkdir()
(home / ".kafka" / "config.json").write_text(json.dumps({
    "dev": {"common": {"bootstrap.servers": BOOTSTRAP}, "consumer": {"group.id": f"g-{RUN_ID}"}}}))
try:
    cons = KafkaConsumer.from_env_config("dev", topics=[TOPIC])  # topics is list
except TypeError as e:
    differs("from_env_config(topics=)", "PY-A14", e)
else:
    m = None
    for _ in range(20):
        m = cons.poll_message(1.0)
        if m:
            break
    differs("from_env_config(topics=)", "PY-A14", m.value)
    cons.stop()
