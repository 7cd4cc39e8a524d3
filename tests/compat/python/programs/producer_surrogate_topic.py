# Issue 13: a topic that is not valid UTF-8 fails its own produce; the next one still works.
from _compat import BOOTSTRAP, TOPIC, call
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, "first")
call("surrogate topic", p.produce, "\ud800x", "v")
call("surrogate value", p.produce, TOPIC, "\ud800")
call("next produce", lambda: p.produce(TOPIC, "after") and None)
call("flush", p.flush)
p.close()
