# Auto-commit (the default): stop() leaves the group committing what was handed out, so
# the next member of the group resumes after it.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(6):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

cfg = ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}")
first = KafkaConsumer(cfg)
first.subscribe([TOPIC])
got = []
for _ in range(20):
    got += first.consume_messages(2 - len(got), 1.0)
    if len(got) == 2:
        break
obs("first member", [m.offset for m in got])
first.stop()
second = KafkaConsumer(cfg)
second.subscribe([TOPIC])
rest = []
for _ in range(20):
    rest += second.consume_messages(4 - len(rest), 1.0)
    if len(rest) == 4:
        break
obs("second member", [m.offset for m in rest])
second.stop()
