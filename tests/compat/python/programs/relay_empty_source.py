# run(src, dst, stop_on_empty=True) on an empty source returns (and relays nothing).
# topics: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}"))
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
calls = []
relay = ExactlyOnceRelay(cons, prod, transform=lambda m: calls.append(m) or m, poll_timeout=0.5)
obs("run", relay.run(TOPIC, TOPIC2, stop_on_empty=True))
obs("transform calls", len(calls))
relay.stop()
