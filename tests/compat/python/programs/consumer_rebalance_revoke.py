# on_revoke(consumer, partitions) when the consumer leaves the group at stop().
from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, key=b"k", value=b"v")
p.flush()

events = []
c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"),
                  on_assign=lambda cons, parts: events.append(["assign", sorted(tp.partition for tp in parts)]),
                  on_revoke=lambda cons, parts: events.append(["revoke", sorted(tp.partition for tp in parts)]))
c.subscribe([TOPIC])
m = None
for _ in range(20):
    m = c.poll_message(1.0)
    if m:
        break
obs("message", m.value)
obs("before stop", events)
c.stop()
obs("after stop", events)
