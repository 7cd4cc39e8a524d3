# The legacy per-env file ~/.kafka/{env}.json, read when config.json is missing or empty.
# topics: 0
import json
import os
from pathlib import Path

from klient import resolve_env_config

from _compat import call

kafka = Path(os.path.expanduser("~")) / ".kafka"
kafka.mkdir()
(kafka / "dev.json").write_text(json.dumps({"bootstrap.servers": "legacy:9092", "acks": "1"}))
(kafka / "odd.json").write_text("[1]")
call("legacy dev", resolve_env_config, "dev", None)
call("legacy odd", resolve_env_config, "odd", None)
call("legacy missing", resolve_env_config, "nope", None)
call("no env", resolve_env_config, None, None)
(kafka / "config.json").write_text("{}")
call("empty config.json -> legacy", resolve_env_config, "dev", None)
(kafka / "config.json").write_text(json.dumps({"default": {"a": "b"}}))
call("config.json wins", resolve_env_config, "dev", None)
