# seek_to_offset with a negative offset (klient used to read nothing, silently) or
# partition, and wrong types: the released package raises.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, call
from klient.consumer import ConsumerConfig, KafkaConsumer

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
c.subscribe([TOPIC])
call("offset -1", c.seek_to_offset, TOPIC, -1)
call("offset -2 partition 0", c.seek_to_offset, TOPIC, -2, 0)
call("partition -1", c.seek_to_offset, TOPIC, 0, -1)
call("offset str", c.seek_to_offset, TOPIC, "3")
call("partition str", c.seek_to_offset, TOPIC, 1, "0")
c.stop()
