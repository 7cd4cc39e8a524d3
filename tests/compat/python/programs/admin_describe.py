# describe_topics -> {name: TopicMetadata} with every topic config; unknown topics left out.
# partitions: 3
import time

from klient import AdminConfig, KafkaAdmin, TopicMetadata

from _compat import BOOTSTRAP, TOPIC, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
a.create_topics([TopicMetadata(f"{TOPIC}-c", 1, 1, {"cleanup.policy": "compact", "retention.ms": "60000"})])
# a new topic reaches the metadata a moment after create_topics returns (both packages):
# wait for it so that describe_topics sees it on a loaded machine too
deadline = time.monotonic() + 30
while not a.topic_exists(f"{TOPIC}-c") and time.monotonic() < deadline:
    time.sleep(0.2)
d = a.describe_topics([TOPIC, f"{TOPIC}-c", f"{TOPIC}-missing"])
obs("names", list(d))
m = d[TOPIC]
obs("type", type(m).__name__)
obs("shape", [m.name, m.partitions, m.replication_factor])
obs("config keys", sorted(m.config))
obs("config values", {k: m.config[k] for k in ("cleanup.policy", "retention.ms", "min.insync.replicas")})
c = d[f"{TOPIC}-c"].config
obs("created config", [c["cleanup.policy"], c["retention.ms"]])
obs("value types", sorted({type(v).__name__ for v in m.config.values() if v is not None}))
obs("all topics", TOPIC in a.describe_topics())
obs("empty list means all", TOPIC in a.describe_topics([]))
a.delete_topics([f"{TOPIC}-c"])
