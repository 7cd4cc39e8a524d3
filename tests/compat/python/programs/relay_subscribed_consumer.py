# A consumer already subscribed (and auto-committing, the default) handed to the relay:
# the relay subscribes it to the source itself and relays every message once.
# topics: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(4):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}"))
cons.subscribe([TOPIC])
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
seen = []
relay = ExactlyOnceRelay(cons, prod, transform=lambda m: seen.append(m.offset) or m, batch_size=2)
relay.run(TOPIC, TOPIC2, stop_on_empty=True)
obs("seen", sorted(seen))
relay.stop()
