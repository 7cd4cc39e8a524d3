# README "Factory helpers": KafkaProducer.from_env_config("dev") with the README's
# ~/.kafka/config.json (underscore keys, a "producer" section), and the role-specific
# environment example (resolve_env_config + ProducerConfig(additional_config=...)).
import json
import os

from _compat import BOOTSTRAP, TOPIC, call, differs, obs
from klient import ProducerConfig, resolve_env_config
from klient.producer import KafkaProducer

CONFIG = os.path.join(os.environ["HOME"], ".kafka", "config.json")
os.makedirs(os.path.dirname(CONFIG))


def write(cfg):
    with open(CONFIG, "w") as f:
        json.dump(cfg, f)


write({  # the "Factory helpers" example
    "default": {"bootstrap_servers": BOOTSTRAP},
    "dev": {"bootstrap_servers": BOOTSTRAP, "producer": {"linger_ms": 5},
            "consumer": {"group_id": "demo-group", "auto_offset_reset": "earliest"}},
})

prod = KafkaProducer.from_env_config("dev")
obs("class", type(prod).__name__)
# The released package hands the underscore keys to librdkafka as they are: its first
# produce fails ("No such configuration property"). klient maps them (PY-P7); nothing is
# produced here so the topic's contents stay comparable.
differs("dev config", "PY-P7", [prod.config.bootstrap_servers == BOOTSTRAP, sorted(prod.config.additional_config)])
prod.close()

write({  # the "Role-Specific Environment Names" example
    "default": {"bootstrap.servers": "shared:9092", "client.id": "app-base"},
    "prod-producer": {"bootstrap.servers": BOOTSTRAP, "compression.type": "lz4", "linger.ms": 25},
    "prod-consumer": {"bootstrap.servers": BOOTSTRAP, "auto.offset.reset": "earliest", "fetch.max.bytes": 5242880},
})
producer_raw = resolve_env_config('prod-producer', None)
producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=producer_raw['bootstrap.servers'],
    additional_config={k: v for k, v in producer_raw.items() if k != 'bootstrap.servers'}
))
call("produce (prod-producer)", lambda: producer.produce(TOPIC, "from prod-producer") and None)
call("flush (prod-producer)", producer.flush)
producer.close()
