# resolve_env_config with an explicit file: sections, a flat mapping, a list, missing file.
# topics: 0
import json
import tempfile
from pathlib import Path

from klient import resolve_env_config

from _compat import call

d = Path(tempfile.mkdtemp())
(d / "sections.json").write_text(json.dumps({"default": {"a": "1"}, "x": {"b": "2"}}))
(d / "flat.json").write_text(json.dumps({"bootstrap.servers": "h:1", "acks": "all"}))
(d / "flat-nobs.json").write_text(json.dumps({"acks": "all", "x": {"b": 1}}))
(d / "list.json").write_text("[1, 2]")
(d / "nodefault.json").write_text(json.dumps({"x": {"b": "2"}, "y": {"c": "3"}}))
for f in ["sections", "flat", "flat-nobs", "list", "nodefault", "missing"]:
    for env in ["x", "y", None]:
        call(f"{f} {env}", resolve_env_config, env, str(d / f"{f}.json"))
