# README "Section splitting" + "Factory helpers": the README's file (Python-style keys,
# flat keys beside role sections) and from_env_config("dev") of the three clients.
import json
import os
from pathlib import Path

from _compat import BOOTSTRAP, RUN_ID, TOPIC, call
from _readme import readme_only

kafka = Path(os.path.expanduser("~")) / ".kafka"
kafka.mkdir()
(kafka / "config.json").write_text(json.dumps({
    "default": {
        "bootstrap_servers": BOOTSTRAP
    },
    "dev": {
        "bootstrap_servers": BOOTSTRAP,
        "producer": {"linger_ms": 5},
        "consumer": {"group_id": f"demo-group-{RUN_ID}", "auto_offset_reset": "earliest"},
        "admin": {"security_protocol": "PLAINTEXT"}
    }
}))

from klient.producer import KafkaProducer
prod = KafkaProducer.from_env_config("dev")

from klient.consumer import KafkaConsumer
cons = readme_only("consumer with topics", "PY-A14", lambda: KafkaConsumer.from_env_config("dev", topics=[TOPIC]).config.group_id)

from klient.admin import KafkaAdmin
adm = KafkaAdmin.from_env_config("dev")

# The released split ignores the flat keys once the env has sections, and passes the
# README's Python-style keys to librdkafka unchanged: its clients would connect to
# localhost:9092 and fail on "linger_ms". klient reads the file as the README says (PY-A3).
readme_only("producer bootstrap", "PY-A3", lambda: prod.config.bootstrap_servers)
readme_only("producer properties", "PY-A3", lambda: prod.config.to_confluent_config()["linger.ms"])
readme_only("admin bootstrap", "PY-A3", lambda: adm.config.bootstrap_servers)
readme_only("admin additional", "PY-A3", lambda: adm.config.additional_config)
readme_only("admin works", "PY-A3", lambda: adm.topic_exists(TOPIC))
call("explicit group_id", lambda: KafkaConsumer.from_env_config("dev", group_id=f"g-{RUN_ID}").config.group_id)
