# with KafkaConsumer(...) as c: leaving the block stops (closes) it; later calls raise
# KafkaConsumerError; stop() twice is harmless.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, key=b"k", value=b"v")
p.flush()

with KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}")) as c:
    obs("enter returns the consumer", isinstance(c, KafkaConsumer))
    c.subscribe([TOPIC])
    m = None
    for _ in range(20):
        m = c.poll_message(1.0)
        if m:
            break
    obs("message", [m.key, m.value])
call("poll after exit", c.poll_message, 0.1)
call("consume after exit", c.consume_messages, 1, 0.1)
call("commit after exit", c.commit)
call("subscribe after exit", c.subscribe, [TOPIC])
call("stop again", c.stop)
fresh = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g2-{RUN_ID}"))
call("stop before use", fresh.stop)
