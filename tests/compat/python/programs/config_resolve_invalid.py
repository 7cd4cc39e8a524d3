# A malformed config file raises ValueError (klient: a KlientConfigError, also a ValueError).
# topics: 0
import os
import tempfile
from pathlib import Path

from klient import resolve_env_config

from _compat import call, obs

d = Path(tempfile.mkdtemp())
(d / "bad.json").write_text('{"default": {"a": 1,}}')
call("invalid json", resolve_env_config, "x", str(d / "bad.json"))
call("a directory", resolve_env_config, "x", str(d))
kafka = Path(os.path.expanduser("~")) / ".kafka"
kafka.mkdir()
(kafka / "config.json").write_text("{not json")
call("invalid default file", resolve_env_config, None, None)
try:
    resolve_env_config("x", str(d / "bad.json"))
except ValueError as e:
    obs("message names the file", str(d / "bad.json") in str(e))
