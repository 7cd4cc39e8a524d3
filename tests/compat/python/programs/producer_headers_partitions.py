# Keys, values and headers as str or bytes, explicit partitions: what lands in Kafka.
# partitions: 3
from _compat import BOOTSTRAP, TOPIC, call
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for part in range(3):
    p.produce(TOPIC, f"to-{part}", f"key-{part}", {"part": str(part), "raw": b"\x00\x01"}, part)
p.produce(TOPIC, value=b"bytes", key=b"bk", partition=2)
p.produce(TOPIC, "", "", partition=1)
p.produce(TOPIC, None, "tombstone-key", partition=0)
p.produce(TOPIC, "unicode \u00e9\u4e2d", partition=0)
p.produce(TOPIC, "keyed only by kwargs", headers={"k": "v"}, partition=1, key="kw")
call("flush", p.flush)
p.close()
