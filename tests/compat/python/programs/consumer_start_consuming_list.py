# start_consuming([topics]) with message_handler= keyword and auto_process=True over two
# topics; stop from the handler once both were seen.
# topics: 2
from _compat import BOOTSTRAP, RUN_ID, TOPIC, TOPIC2, obs
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for t in (TOPIC, TOPIC2):
    for i in range(3):
        p.produce(t, key=f"k{i}".encode(), value=f"{t[-1]}-{i}".encode())
p.flush()

seen = []


def handler(msg):
    seen.append((msg.topic, msg.offset, msg.value))
    if len(seen) == 6:
        consumer.stop()


consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"), message_handler=handler)
consumer.start_consuming([TOPIC, TOPIC2], auto_process=True)
obs("seen", sorted(seen))
