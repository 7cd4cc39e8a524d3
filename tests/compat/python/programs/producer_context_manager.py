# `with KafkaProducer(...) as p:` returns the producer and closes (flushes) on exit,
# also when the block raises.
from _compat import BOOTSTRAP, TOPIC, obs
from klient.producer import KafkaProducer, ProducerConfig

with KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP)) as p:
    obs("enter returns the producer", type(p).__name__)
    for i in range(5):
        p.produce(TOPIC, f"in-with-{i}")
try:
    with KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP)) as p2:
        p2.produce(TOPIC, "before raise")
        raise ValueError("inside")
except ValueError as e:
    obs("raised through", str(e))
