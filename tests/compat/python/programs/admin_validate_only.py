# create_topics(..., validate_only=True) reports without creating.
import time

from klient import AdminConfig, KafkaAdmin, TopicMetadata

from _compat import BOOTSTRAP, TOPIC, call, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
fresh = f"{TOPIC}-v"
call("new topic", a.create_topics, [TopicMetadata(fresh, 1, 1)], 30.0, True)
call("existing topic", a.create_topics, [TopicMetadata(TOPIC, 1, 1)], validate_only=True)
call("replication factor above the broker count", a.create_topics, [TopicMetadata(f"{TOPIC}-rf", 1, 3)], validate_only=True)
call("bad config", a.create_topics, [TopicMetadata(f"{TOPIC}-cfg", 1, 1, {"cleanup.policy": "sideways"})], validate_only=True)
time.sleep(0.5)
obs("not created", [t in a.list_topics() for t in (fresh, f"{TOPIC}-rf", f"{TOPIC}-cfg")])
