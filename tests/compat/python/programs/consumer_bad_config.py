# An unknown librdkafka property: the consumer is created on first use, so the
# constructor succeeds and the first call raises KafkaConsumerError.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call, obs
from klient.consumer import ConsumerConfig, KafkaConsumer

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}",
                                 additional_config={"no.such.property": "1"}))
obs("constructed", True)
call("subscribe", c.subscribe, [TOPIC])
