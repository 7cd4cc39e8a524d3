# split_env_config and extract_bootstrap, the released section rules.
# topics: 0
from klient import extract_bootstrap, split_env_config

from _compat import call

cases = {
    "empty": {},
    "flat": {"bootstrap.servers": "b:1", "acks": "1"},
    "common only": {"common": {"bootstrap.servers": "c:1"}},
    "sections": {"common": {"bootstrap.servers": "c:1", "acks": "1"}, "producer": {"acks": "all"},
                 "consumer": {"group.id": "g"}, "admin": {"request.timeout.ms": 5}},
    "flat and sections": {"bootstrap.servers": "f:1", "producer": {"linger.ms": 5}},
    "bad sections": {"common": 3, "producer": [1], "consumer": None},
}
for label, raw in cases.items():
    r = call(label, split_env_config, raw)
    if r is not None:
        call(label + " bootstrap", extract_bootstrap, list(r))
call("extract none", extract_bootstrap, [{}, {"x": 1}])
call("extract first", extract_bootstrap, [{"bootstrap.servers": "1"}, {"bootstrap.servers": "2"}])
