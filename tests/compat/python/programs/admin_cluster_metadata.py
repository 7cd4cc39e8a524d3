# get_cluster_metadata(): cluster id, controller, brokers, topics.
from klient import AdminConfig, KafkaAdmin

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
md = a.get_cluster_metadata()
obs("keys", sorted(md))
obs("types", {k: type(v).__name__ for k, v in md.items()})
obs("brokers", md["brokers"])
obs("controller is a broker", md["controller_id"] in [b["id"] for b in md["brokers"]])
obs("cluster id", bool(md["cluster_id"]))
obs("topics_count", md["topics_count"] == len(md["topics"]))
obs("topic listed", TOPIC in md["topics"])
# other suites create topics meanwhile: compare this run's own topics
mine = sorted(t for t in md["topics"] if RUN_ID in t)
obs("same as list_topics", mine == sorted(t for t in a.list_topics() if RUN_ID in t) and len(mine) > 0)
obs("timeout positional", sorted(a.get_cluster_metadata(10.0)))
