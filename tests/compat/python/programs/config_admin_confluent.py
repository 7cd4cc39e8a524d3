# AdminConfig: fields and to_confluent_config().
# topics: 0
from klient import AdminConfig
from klient.admin import AdminConfig as AdminConfig2

from _compat import BOOTSTRAP, obs

obs("same class", AdminConfig is AdminConfig2)
obs("defaults", AdminConfig(BOOTSTRAP).to_confluent_config())
obs("positional", AdminConfig(BOOTSTRAP, 5000, {"client.id": "a"}).to_confluent_config())
obs("request_timeout_ms", AdminConfig(BOOTSTRAP, request_timeout_ms=1234).request_timeout_ms)
obs("additional wins", AdminConfig(BOOTSTRAP, additional_config={"request.timeout.ms": 1}).to_confluent_config())
