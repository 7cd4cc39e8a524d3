# from_env_config of the producer and the consumer with the released positional
# parameters, from files the released package reads: a flat env and a `common` section.
import json
import tempfile
from pathlib import Path

from klient import KafkaConsumer, KafkaProducer

from _compat import BOOTSTRAP, RUN_ID, call, obs

f = Path(tempfile.mkdtemp()) / "config.json"
f.write_text(json.dumps({
    "default": {"bootstrap.servers": BOOTSTRAP, "client.id": "base"},
    "flat": {"acks": "1", "linger.ms": 7, "group.id": f"g-{RUN_ID}"},
    "split": {"common": {"bootstrap.servers": BOOTSTRAP, "client.id": "common"},
              "producer": {"transactional.id": f"tx-{RUN_ID}", "compression.type": "gzip"},
              "consumer": {"group.id": f"gs-{RUN_ID}", "fetch.min.bytes": 10}},
}))
for env in ("flat", "split"):
    p = KafkaProducer.from_env_config(env, str(f))
    obs(f"{env} producer", p.config.to_confluent_config())
    obs(f"{env} producer tx", [p.config.transactional_id, p.supports_transactions])
    c = KafkaConsumer.from_env_config(env, str(f))
    obs(f"{env} consumer", c.config.to_confluent_config())
    c.stop()
p = KafkaProducer.from_env_config("flat", str(f), f"tx2-{RUN_ID}", None)
obs("transactional_id positional", p.config.to_confluent_config().get("transactional.id"))
c = KafkaConsumer.from_env_config("flat", str(f), f"explicit-{RUN_ID}", "read_committed")
obs("group and isolation positional", [c.config.group_id, c.config.isolation_level])
c.stop()
call("no group anywhere", lambda: KafkaConsumer.from_env_config(None, str(f)))
