# ConsumerConfig: positional fields (released order) and to_confluent_config().
# topics: 0
from klient import ConsumerConfig

from _compat import BOOTSTRAP, RUN_ID, obs

g = f"g-{RUN_ID}"
obs("defaults", ConsumerConfig(BOOTSTRAP, g).to_confluent_config())
c = ConsumerConfig(BOOTSTRAP, g, "latest", False, 2000, 45000, 3000, 10, "read_uncommitted", {"fetch.min.bytes": 1})
obs("positional", [c.auto_offset_reset, c.enable_auto_commit, c.auto_commit_interval_ms, c.session_timeout_ms,
                   c.heartbeat_interval_ms, c.max_poll_records, c.isolation_level, c.additional_config])
obs("positional dict", c.to_confluent_config())
obs("max.poll.records is not a librdkafka property", "max.poll.records" in c.to_confluent_config())
obs("additional wins", ConsumerConfig(BOOTSTRAP, g, additional_config={"isolation.level": "read_uncommitted"}).to_confluent_config()["isolation.level"])
