# create_topics([TopicMetadata]) -> {name: bool}; list_topics; delete_topics -> {name: bool}.
import time

from klient import AdminConfig, KafkaAdmin, TopicMetadata

from _compat import BOOTSTRAP, TOPIC, call, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
t1, t2 = f"{TOPIC}-a", f"{TOPIC}-b"
call("create", a.create_topics, [TopicMetadata(t1, 2, 1), TopicMetadata(t2, 1, 1, {"cleanup.policy": "compact"})])
call("create again", a.create_topics, [TopicMetadata(t1, 2, 1)])
call("create existing", a.create_topics, [TopicMetadata(TOPIC, 1, 1)])
topics = a.list_topics()
obs("listed", [t in topics for t in (TOPIC, t1, t2)])
obs("list type", type(topics).__name__)
obs("internal listed", "__consumer_offsets" in topics)
call("delete", a.delete_topics, [t1, t2])
call("delete missing", a.delete_topics, [f"{TOPIC}-never"])
for _ in range(50):  # deletion propagates to the metadata in a moment
    if t1 not in a.list_topics():
        break
    time.sleep(0.1)
obs("gone", t1 in a.list_topics())
