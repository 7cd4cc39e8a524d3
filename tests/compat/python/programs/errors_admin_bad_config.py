# An admin client with a property librdkafka rejects: the constructor succeeds (the client
# is created at the first call, as released); the first call raises KafkaAdminError.
# topics: 0
from klient import AdminConfig, KafkaAdmin, KafkaAdminError

from _compat import BOOTSTRAP, call, exc, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP, additional_config={"no.such.property": "1"}))
obs("constructed")
try:
    a.list_topics(5.0)
except KafkaAdminError as e:
    exc("list_topics", e)
    obs("names the property", "no.such.property" in str(e))
call("topic_exists answers False", a.topic_exists, "x", 5.0)
