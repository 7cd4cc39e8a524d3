# Wrong arguments to admin calls: caught as KafkaAdminError (or an exception of the same
# class under both).
from klient import AdminConfig, KafkaAdmin, KafkaAdminError

from _compat import BOOTSTRAP, exc, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
for label, fn in [("delete a str", lambda: a.delete_topics("events")),
                  ("delete an int", lambda: a.delete_topics(3)),
                  ("delete empty", lambda: a.delete_topics([])),
                  ("create empty", lambda: a.create_topics([]))]:
    try:
        obs(label, fn())
    except KafkaAdminError as e:
        exc(label, e)
    except Exception as e:  # noqa: BLE001
        exc(label + " escaped", e)
