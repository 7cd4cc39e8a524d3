# A non-transactional target producer is refused with a ValueError.
from _compat import BOOTSTRAP, RUN_ID, call
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"relay-{RUN_ID}"))
plain = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
call("non-transactional", ExactlyOnceRelay, cons, plain)
call("non-transactional keywords", ExactlyOnceRelay, source_consumer=cons, target_producer=plain, batch_size=5)
