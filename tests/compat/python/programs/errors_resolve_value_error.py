# Config-file errors are ValueErrors under both (released: ValueError; klient: a
# KlientConfigError, also a ValueError).
# topics: 0
import tempfile
from pathlib import Path

import klient

from _compat import obs

d = Path(tempfile.mkdtemp())
(d / "bad.json").write_text("{")
try:
    klient.resolve_env_config("x", str(d / "bad.json"))
except ValueError as e:
    obs("caught as ValueError", "Invalid JSON" in str(e))
try:
    klient.KafkaAdmin.from_env_config("x", str(d / "bad.json"))
except ValueError as e:
    obs("factory caught as ValueError", "Invalid JSON" in str(e))
