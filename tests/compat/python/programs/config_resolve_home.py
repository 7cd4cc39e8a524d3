# resolve_env_config reads ~/.kafka/config.json: default + env merge, unknown env, no env.
# topics: 0
import json
import os
from pathlib import Path

from klient import resolve_env_config

from _compat import BOOTSTRAP, call

kafka = Path(os.path.expanduser("~")) / ".kafka"
call("no file", resolve_env_config, "dev", None)
kafka.mkdir()
(kafka / "config.json").write_text(json.dumps({
    "default": {"bootstrap.servers": BOOTSTRAP, "client.id": "base"},
    "dev": {"client.id": "dev", "acks": "1"},
    "prod-producer": {"compression.type": "lz4", "linger.ms": 25},
    "notadict": 3,
}))
call("dev", resolve_env_config, "dev", None)
call("prod-producer", resolve_env_config, "prod-producer", None)
call("unknown env", resolve_env_config, "nope", None)
call("no env", resolve_env_config, None, None)
call("empty env", resolve_env_config, "", None)
call("not a dict env", resolve_env_config, "notadict", None)
call("keywords", resolve_env_config, env="dev", explicit_file=None)
