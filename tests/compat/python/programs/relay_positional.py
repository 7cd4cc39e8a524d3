# The released positional signature ExactlyOnceRelay(c, p, transform, batch_size,
# poll_timeout), its attributes, identity relay (transform=None), run(src, dst, True).
# topics: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(5):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}", enable_auto_commit=False))
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
relay = ExactlyOnceRelay(cons, prod, None, 2, 0.5)
obs("attrs", [relay.source_consumer is cons, relay.target_producer is prod, relay.transform, relay.batch_size,
              relay.poll_timeout])
default = ExactlyOnceRelay(cons, prod)
obs("defaults", [default.batch_size, default.poll_timeout, default.transform])
relay.run(TOPIC, TOPIC2, True)
obs("returned", True)
relay.stop()
