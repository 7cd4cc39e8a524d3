# produce_batch items without a topic.
from _compat import BOOTSTRAP, TOPIC, call, differs
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
try:
    p.produce_batch([{"value": "no topic"}])
except Exception as e:  # noqa: BLE001 - released: a bare KeyError('topic')
    differs("no topic", "PY-P3", e)
call("valid batch afterwards", lambda: p.produce_batch([{"topic": TOPIC, "value": "ok"}]) and None)
call("flush", p.flush)
p.close()
