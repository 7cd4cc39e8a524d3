# Admin calls given a wrong argument type: the released package answers silently (or with
# an AttributeError); klient raises KafkaAdminTypeError (a KafkaAdminError and TypeError).
from klient import AdminConfig, KafkaAdmin

from _compat import BOOTSTRAP, TOPIC, call, differs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))


def outcome(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        return e


differs("topic_exists(int)", "PY-A7", outcome(lambda: a.topic_exists(3)))
differs("describe_topics(str)", "PY-A7", outcome(lambda: a.describe_topics(TOPIC)))
differs("create_topics(str)", "PY-A7", outcome(lambda: a.create_topics(TOPIC)))
call("list_topics(str timeout)", a.list_topics, "1")
call("topic still there", a.topic_exists, TOPIC)
