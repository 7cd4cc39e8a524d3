# Wrong argument types and values: every one is a KafkaProducerError (TypeError/ValueError
# too under klient), raised at the call; the producer keeps working afterwards.
from _compat import BOOTSTRAP, TOPIC, call, differs, exc, obs
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
call("int value", p.produce, TOPIC, 123)
call("float key", p.produce, TOPIC, "v", 1.5)
call("int topic", p.produce, 42, "v")
call("None topic", p.produce, None, "v")
call("str partition", p.produce, TOPIC, "v", None, None, "0")
try:
    p.produce(TOPIC, "v", None, "h")
except Exception as e:  # noqa: BLE001 - released: AttributeError ('str' has no .items)
    differs("headers not a dict", "PY-P3", e)
call("flush timeout str", p.flush, "soon")
call("poll timeout str", p.poll, "soon")
call("fine afterwards", lambda: p.produce(TOPIC, "ok") and None)
call("flush", p.flush)
try:
    KafkaProducer({"bootstrap_servers": BOOTSTRAP}).produce(TOPIC, "x")
    obs("dict config", "accepted")
except Exception as e:  # noqa: BLE001 - released: AttributeError on config.transactional_id
    differs("dict config", "PY-P3", e)
p.close()
