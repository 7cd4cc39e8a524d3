# An unreachable cluster: list/describe/metadata raise KafkaAdminError within the timeout.
# timeout: 90
from klient import AdminConfig, KafkaAdmin, KafkaAdminError

from _compat import call, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers="127.0.0.1:1"))
call("list_topics", a.list_topics, 2.0)
call("describe_topics", a.describe_topics, ["x"], 2.0)
call("get_cluster_metadata", a.get_cluster_metadata, 2.0)
try:
    a.list_topics(timeout=1.0)
except KafkaAdminError:
    obs("caught as KafkaAdminError", True)
