# additional_config={"delivery.report.only.error": True} (librdkafka's property, passed
# through as the released package does): a successful delivery calls no callback, and
# neither produce(flush=True) nor flush() waits for the reports that never come.
from _compat import BOOTSTRAP, TOPIC, call, differs, obs
from klient.producer import KafkaProducer, ProducerConfig

seen = []
cfg = ProducerConfig(bootstrap_servers=BOOTSTRAP, additional_config={"delivery.report.only.error": True})
p = KafkaProducer(cfg, delivery_callback=lambda r: seen.append(["producer", r.success]))
differs("produce flush=True returns", "PY-P1", p.produce(TOPIC, "sync", "k1", None, None, lambda r: seen.append(["own", r.success]), True))
for i in range(3):
    p.produce(TOPIC, f"v{i}", f"k{i}")
call("flush", p.flush, 10)
call("poll", p.poll, 0)
obs("callbacks of successful deliveries", seen)
p.close()
