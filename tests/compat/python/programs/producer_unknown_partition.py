# A partition the topic does not have: before the client has the topic's metadata the
# message fails in its callback; after, produce raises KafkaProducerError.
from _compat import BOOTSTRAP, TOPIC, call, exc, obs
from klient.producer import KafkaProducer, ProducerConfig

seen = []
p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, "first", flush=True)  # the client now knows the topic
try:
    p.produce(TOPIC, "nowhere", partition=5, callback=lambda r: seen.append([r.partition, r.offset, r.success, r.error is not None]))
    obs("queued without error")
except Exception as e:  # noqa: BLE001 - observed
    exc("produce to partition 5", e)
call("flush", p.flush)
obs("callback", seen)
p.close()
