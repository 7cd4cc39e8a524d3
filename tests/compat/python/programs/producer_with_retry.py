# produce_with_retry(*args, max_attempts=5, base_backoff=0.05, **kwargs) forwards to produce;
# aproduce_with_retry likewise (README: "Retriable Produce").
import asyncio

from _compat import BOOTSTRAP, TOPIC, call, differs, obs
from klient.producer import KafkaProducer, ProducerConfig

seen = []
producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
differs("readme form", "PY-P2", producer.produce_with_retry(TOPIC, value=b"data", max_attempts=5, base_backoff=0.05))
differs("positional form", "PY-P2", producer.produce_with_retry(TOPIC, "v2", "k2", {"h": "1"}, 0, lambda r: seen.append(r.success)))
differs("async form", "PY-P2", asyncio.run(producer.aproduce_with_retry(TOPIC, value=b"async-data")))
differs("async positional", "PY-P2", asyncio.run(producer.aproduce_with_retry(TOPIC, "v4", max_attempts=2)))
call("flush", producer.flush)
obs("callback", seen)
producer.close()
