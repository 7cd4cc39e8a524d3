# relay.stop() after run returned closes the source consumer (later polls raise
# KafkaConsumerError), as the released package does.
# topics: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}"))
prod = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-{RUN_ID}"))
relay = ExactlyOnceRelay(cons, prod, lambda m: m, 10, 1.0)
relay.run(TOPIC, TOPIC2, stop_on_empty=True)
call("stop", relay.stop)
call("poll after stop", cons.poll_message, 0.1)
call("stop again", relay.stop)
obs("done")
