# seek_to_offset(topic, offset, partition) on assigned partitions: one partition, then
# every partition (partition=None), keyword and positional forms.
# partitions: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for part in (0, 1):
    for i in range(5):
        p.produce(TOPIC, key=f"k{i}".encode(), value=f"p{part}-{i}".encode(), partition=part)
p.flush()

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}", enable_auto_commit=False))
c.subscribe([TOPIC])
got = []
for _ in range(30):
    got += c.consume_messages(10, 1.0)
    if len(got) == 10:
        break
obs("all", sorted((m.partition, m.offset) for m in got))
call("seek p1 to 3", c.seek_to_offset, TOPIC, 3, 1)
obs("after seek p1", sorted((m.partition, m.offset, m.value) for m in c.consume_messages(10, 3.0)))
call("seek all to 4", c.seek_to_offset, topic=TOPIC, offset=4)
obs("after seek all", sorted((m.partition, m.offset) for m in c.consume_messages(10, 3.0)))
call("seek p0 to 0", c.seek_to_offset, topic=TOPIC, offset=0, partition=0)
obs("after seek p0", sorted((m.partition, m.offset) for m in c.consume_messages(10, 3.0)))
c.stop()
