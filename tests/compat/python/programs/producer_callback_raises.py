# An exception in a per-message callback surfaces from flush() as KafkaProducerError; one in
# the producer's delivery_callback is only logged.
from _compat import BOOTSTRAP, TOPIC, call, obs
from klient.producer import KafkaProducer, ProducerConfig, KafkaProducerError


def boom(r):
    raise RuntimeError("callback failed")


p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP), delivery_callback=boom)
p.produce(TOPIC, "logged")
call("flush with failing delivery_callback", p.flush)
p.produce(TOPIC, "raised", callback=boom)
try:
    p.flush()
    obs("flush", "no exception")
except KafkaProducerError as e:
    obs("flush raised", [type(e).__name__, "callback failed" in str(e)])
call("flush again", p.flush)
p.close()
