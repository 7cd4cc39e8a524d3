# Polling a consumer that never subscribed: the released package waits out the timeout
# and returns None / [] (nothing can ever arrive); klient raises KafkaConsumerError
# saying to subscribe first (PY-C2).
from _compat import BOOTSTRAP, RUN_ID, differs
from klient.consumer import ConsumerConfig, KafkaConsumer

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
for name, fn in (("poll_message", lambda: c.poll_message(0.5)), ("consume_messages", lambda: c.consume_messages(2, 0.5))):
    try:
        differs(name, "PY-C2", fn())
    except Exception as e:  # noqa: BLE001
        differs(name, "PY-C2", e)
c.stop()
