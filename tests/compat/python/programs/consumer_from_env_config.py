# KafkaConsumer.from_env_config(env, config_file, group_id, isolation_level,
# message_handler) in the released positional order, from ~/.kafka/config.json and from
# an explicit file.
import json
import os
from pathlib import Path

from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

home = Path(os.environ["HOME"])
(home / ".kafka").mkdir()
(home / ".kafka" / "config.json").write_text(json.dumps({
    "dev": {"common": {"bootstrap.servers": BOOTSTRAP},
            "consumer": {"group.id": f"file-{RUN_ID}", "auto.offset.reset": "earliest"}},
    "nogroup": {"common": {"bootstrap.servers": BOOTSTRAP}},
}))
explicit = home / "explicit.json"
explicit.write_text(json.dumps({"x": {"consumer": {"bootstrap.servers": BOOTSTRAP}}}))

c = KafkaConsumer.from_env_config("dev")
obs("group from file", c.config.group_id)
obs("bootstrap", c.config.bootstrap_servers == BOOTSTRAP)
obs("isolation default", [c.config.isolation_level, c.reads_committed_only])
c.subscribe([TOPIC])
got = []
for _ in range(20):
    got += c.consume_messages(3 - len(got), 1.0)
    if len(got) == 3:
        break
obs("consumed", [m.value for m in got])
c.stop()

handler = lambda m: None  # noqa: E731
c2 = KafkaConsumer.from_env_config("x", str(explicit), f"arg-{RUN_ID}", "read_committed", handler)
obs("positional", [c2.config.group_id, c2.config.isolation_level, c2.reads_committed_only, c2.message_handler is handler])
c3 = KafkaConsumer.from_env_config("dev", None, f"over-{RUN_ID}")
obs("group override", c3.config.group_id)
call("no group", KafkaConsumer.from_env_config, "nogroup")
