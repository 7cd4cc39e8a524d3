# The consumer's exception classes (importable from klient.consumer, any positional
# arguments) and what wrong arguments raise.
from _compat import BOOTSTRAP, RUN_ID, call, exc, obs
from klient.consumer import (ConsumerConfig, KafkaConsumer, KafkaConsumerError, KafkaConsumerFatalError,
                             KafkaConsumerRebalanceError, KafkaConsumerRetriableError)

for cls in (KafkaConsumerRetriableError, KafkaConsumerFatalError, KafkaConsumerRebalanceError):
    obs(f"{cls.__name__} is a KafkaConsumerError", issubclass(cls, KafkaConsumerError))
e = KafkaConsumerError("a", "b")
obs("args", e.args)
obs("str", str(KafkaConsumerFatalError("boom")))
try:
    raise KafkaConsumerRetriableError("retry me")
except KafkaConsumerError as caught:
    exc("caught as base", caught)

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
call("subscribe str", c.subscribe, "events")
call("subscribe empty", c.subscribe, [])
call("subscribe int item", c.subscribe, ["ok", 3])
call("subscribe dict", c.subscribe, {"a": 1})
call("poll timeout str", c.poll_message, "x")
call("consume count str", c.consume_messages, "3")
c.stop()
