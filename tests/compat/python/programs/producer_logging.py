# The module's `logger` is "klient.producer": a handler there sees the producer's records
# (here: a failing delivery_callback, which is logged rather than raised).
import logging

from _compat import BOOTSTRAP, TOPIC, obs
import klient.producer as kp

obs("logger name", kp.logger.name)
records = []


class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.levelname)


kp.logger.addHandler(Keep())
kp.logger.setLevel(logging.ERROR)


def boom(r):
    raise RuntimeError("in delivery_callback")


p = kp.KafkaProducer(kp.ProducerConfig(bootstrap_servers=BOOTSTRAP), boom)
p.produce(TOPIC, "x")
obs("flush", p.flush())
obs("an ERROR record", "ERROR" in records)
p.close()
