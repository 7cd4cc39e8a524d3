# MessageResult.timestamp is confluent-kafka's (type, ms): type 1 (CreateTime) on an
# ordinary topic, type 2 (LogAppendTime) on a topic created with
# message.timestamp.type=LogAppendTime, the ms the producer's or the broker's clock.
import time

from klient import AdminConfig, KafkaAdmin, TopicMetadata
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs

a = KafkaAdmin(AdminConfig(bootstrap_servers=BOOTSTRAP))
append_topic = f"{TOPIC}-lat"
call("create LogAppendTime topic", a.create_topics,
     [TopicMetadata(append_topic, 1, 1, {"message.timestamp.type": "LogAppendTime"})])

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
before = int(time.time() * 1000)
for t, v in ((TOPIC, b"create"), (append_topic, b"append")):
    p.produce(t, key=b"k", value=v)
p.flush()
after = int(time.time() * 1000)

for label, t, v in (("CreateTime topic", TOPIC, b"create"), ("LogAppendTime topic", append_topic, b"append")):
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}-{label[0]}"))
    c.subscribe([t])
    m = None
    for _ in range(30):
        m = c.poll_message(timeout=1.0)
        if m is not None:
            break
    kind, ms = m.timestamp if m is not None else (None, None)
    # Both clocks are this machine's: the stamp falls within the produce call, give or take.
    obs(label, [m is not None and m.value == v, kind, ms is not None and before - 5000 <= ms <= after + 5000])
    c.stop()

call("delete LogAppendTime topic", a.delete_topics, [append_topic])
