# README "Admin Operations": create_topics with the README's dict form.
import sys
from functools import partial

print = partial(print, file=sys.stderr)  # the README's prints; stdout carries observations
import time

from klient.admin import KafkaAdmin, AdminConfig

from _compat import BOOTSTRAP, TOPIC, obs
from _readme import readme_only

name = f"{TOPIC}-events"
admin = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
readme_only("create dict form", "PY-A1",
            lambda: admin.create_topics([{"topic": name, "num_partitions": 1, "replication_factor": 1}]))
topics = admin.list_topics()
print(topics)
obs("existing topic listed", TOPIC in topics)
readme_only("created topic listed", "PY-A1", lambda: name in topics)
readme_only("delete", "PY-A1", lambda: admin.delete_topics([name]))  # cleanup
for _ in range(50):
    if name not in admin.list_topics():
        break
    time.sleep(0.1)
obs("gone after cleanup", name in admin.list_topics())
