# KafkaProducer.from_env_config(env, config_file, transactional_id, delivery_callback):
# positional (released) and keyword (README) forms.
import json
import os

from _compat import BOOTSTRAP, TOPIC, RUN_ID, call, obs
from klient.producer import KafkaProducer

path = os.path.join(os.environ["HOME"], "cfg.json")
with open(path, "w") as f:
    json.dump({"default": {"acks": "all"}, "dev": {"bootstrap.servers": BOOTSTRAP, "client.id": "envtest"}}, f)

seen = []
p = KafkaProducer.from_env_config("dev", path, None, lambda r: seen.append(r.success))
obs("class", type(p).__name__)
obs("bootstrap", p.config.bootstrap_servers == BOOTSTRAP)
obs("transactional_id", p.config.transactional_id)
obs("supports_transactions", p.supports_transactions)
p.produce(TOPIC, "from env")
call("flush", p.flush)
obs("callback", seen)
p.close()
q = KafkaProducer.from_env_config(env="dev", config_file=path, transactional_id=f"tx-{RUN_ID}")
obs("kw transactional_id", q.config.transactional_id == f"tx-{RUN_ID}")
obs("kw supports_transactions", q.supports_transactions)
q.close()
