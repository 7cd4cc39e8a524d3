# KafkaAdmin.from_env_config(env, config_file, request_timeout_ms): positional, from ~/.kafka
# and from an explicit file, with the admin section.
import json
import os
import tempfile
from pathlib import Path

from klient import KafkaAdmin

from _compat import BOOTSTRAP, TOPIC, obs

kafka = Path(os.path.expanduser("~")) / ".kafka"
kafka.mkdir()
(kafka / "config.json").write_text(json.dumps({"default": {"bootstrap.servers": BOOTSTRAP}, "dev": {"client.id": "adm"}}))
a = KafkaAdmin.from_env_config("dev")
obs("home config", [a.config.bootstrap_servers, a.config.request_timeout_ms, a.config.additional_config])
obs("topic exists", a.topic_exists(TOPIC))
f = Path(tempfile.mkdtemp()) / "c.json"
f.write_text(json.dumps({"x": {"common": {"bootstrap.servers": BOOTSTRAP}, "admin": {"client.id": "a2"}}}))
b = KafkaAdmin.from_env_config("x", str(f), 15000)
obs("explicit positional", [b.config.bootstrap_servers, b.config.request_timeout_ms, b.config.additional_config])
obs("lists", TOPIC in b.list_topics())
c = KafkaAdmin.from_env_config(env="x", config_file=str(f), request_timeout_ms=20000)
obs("keywords", c.config.to_confluent_config())
