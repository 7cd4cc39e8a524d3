# message_handler + start_consuming(topic_str): the handler sees every message; stop()
# from the handler ends the loop; the consumer is closed afterwards.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(6):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

seen = []


def handler(msg):
    seen.append((msg.offset, msg.key, msg.value))
    if msg.offset == 2:
        raise RuntimeError("handler failure is logged, the loop goes on")
    if len(seen) == 6:
        consumer.stop()


consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"), handler)
obs("handler attr", consumer.message_handler is handler)
obs("start_consuming", consumer.start_consuming(TOPIC))
obs("seen", seen)
call("poll after", consumer.poll_message, 0.1)
