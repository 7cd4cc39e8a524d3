# repr() of a config with a secret: the released dataclass repr prints it; klient masks it
# (and shows its added fields).
# topics: 0
from klient import AdminConfig, ConsumerConfig, ProducerConfig

from _compat import BOOTSTRAP, differs, obs

secret = {"sasl.username": "bob", "sasl.password": "hunter2"}
for cfg in (ProducerConfig(BOOTSTRAP, additional_config=secret), ConsumerConfig(BOOTSTRAP, "g", additional_config=secret),
            AdminConfig(BOOTSTRAP, additional_config=secret)):
    r = repr(cfg)
    obs(type(cfg).__name__ + " repr names the class", r.startswith(type(cfg).__name__ + "(bootstrap_servers="))
    differs(type(cfg).__name__ + " password in repr", "PY-A6", "hunter2" in r)
    obs(type(cfg).__name__ + " config keeps the secret", cfg.additional_config["sasl.password"])
