# create_topics(..., validate_only=True) reports without creating.
import time

from klient import AdminConfig, KafkaAdmin, TopicMetadata

from _compat import BOOTSTRAP, TOPIC, call, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
fresh = f"{TOPIC}-v"
call("new topic", a.create_topics, [TopicMetadata(fresh, 1, 1)], 30.0, True)
call("existing topic", a.create_topics, [TopicMetadata(TOPIC, 1, 1)], validate_only=True)
time.sleep(0.5)
obs("not created", fresh in a.list_topics())
