# get_cluster_metadata(): cluster id, controller, brokers, topics.
from klient import AdminConfig, KafkaAdmin

from _compat import BOOTSTRAP, TOPIC, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
md = a.get_cluster_metadata()
obs("keys", sorted(md))
obs("types", {k: type(v).__name__ for k, v in md.items()})
obs("brokers", md["brokers"])
obs("controller is a broker", md["controller_id"] in [b["id"] for b in md["brokers"]])
obs("cluster id", bool(md["cluster_id"]))
obs("topics_count", md["topics_count"] == len(md["topics"]))
obs("topic listed", TOPIC in md["topics"])
obs("same as list_topics", sorted(md["topics"]) == sorted(a.list_topics()))
obs("timeout positional", sorted(a.get_cluster_metadata(10.0)))
