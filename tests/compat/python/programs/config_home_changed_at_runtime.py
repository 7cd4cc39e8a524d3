# HOME changed by the program after import: ~ is resolved at call time, and a producer
# built from that environment writes where the file says.
import json
import os
import tempfile
from pathlib import Path

import klient
from klient import resolve_env_config

from _compat import BOOTSTRAP, TOPIC, call, obs

home = Path(tempfile.mkdtemp())
os.environ["HOME"] = str(home)
(home / ".kafka").mkdir()
(home / ".kafka" / "config.json").write_text(json.dumps({"default": {"bootstrap.servers": BOOTSTRAP}, "app": {"acks": "all"}}))
obs("resolved", resolve_env_config("app", None))
p = klient.KafkaProducer.from_env_config("app")
obs("bootstrap", p.config.bootstrap_servers)
call("produce", lambda: (p.produce(TOPIC, b"from-home", b"k", flush=True), None)[1])
obs("flush", p.flush(10))
p.close()
