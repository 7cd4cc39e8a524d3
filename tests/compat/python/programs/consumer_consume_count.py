# consume_messages(count=1, timeout=1.0): the released batch call, positional and keyword.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(12):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
c.subscribe([TOPIC])
first = []
for _ in range(20):
    first = c.consume_messages()  # count=1
    if first:
        break
obs("default count", [(m.offset, m.value) for m in first])
obs("count=5", [(m.offset, m.value) for m in c.consume_messages(count=5, timeout=10.0)])
obs("positional 3", [(m.offset, m.value) for m in c.consume_messages(3, 10.0)])
obs("count=0", c.consume_messages(0, 0.5))
obs("rest", [(m.offset, m.value) for m in c.consume_messages(10, 3.0)])
obs("empty", c.consume_messages(5, 0.5))
call("count=-1", c.consume_messages, -1, 0.5)
call("timeout str", c.consume_messages, 1, "x")
c.stop()
