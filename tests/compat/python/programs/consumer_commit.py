# commit() with auto-commit off: a second consumer of the group resumes after the
# committed offset; commit before first use is a no-op; stop() leaves the group.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(8):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

cfg = ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}", enable_auto_commit=False)
c = KafkaConsumer(cfg)
call("commit before use", c.commit)
c.subscribe([TOPIC])
got = []
for _ in range(20):
    got += c.consume_messages(3 - len(got), 1.0)
    if len(got) == 3:
        break
obs("first", [m.offset for m in got])
call("commit", c.commit)
c.stop()
c2 = KafkaConsumer(cfg)
c2.subscribe([TOPIC])
rest = []
for _ in range(20):
    rest += c2.consume_messages(5 - len(rest), 1.0)
    if len(rest) == 5:
        break
obs("second consumer", [m.offset for m in rest])
c2.stop()
