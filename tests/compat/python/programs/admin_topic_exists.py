# topic_exists: True, False, and False when the cluster cannot be reached.
from klient import AdminConfig, KafkaAdmin

from _compat import BOOTSTRAP, TOPIC, call

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
call("exists", a.topic_exists, TOPIC)
call("missing", a.topic_exists, f"{TOPIC}-missing")
call("timeout positional", a.topic_exists, TOPIC, 10.0)
down = KafkaAdmin(AdminConfig(bootstrap_servers="127.0.0.1:1"))
call("unreachable", down.topic_exists, TOPIC, 1.0)
