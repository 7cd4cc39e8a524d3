# close() then produce: the released producer creates a new client (nothing is lost).
from _compat import BOOTSTRAP, TOPIC, call, obs
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
p.produce(TOPIC, "before close")
call("close", p.close)
call("close twice", p.close)
call("produce after close", lambda: p.produce(TOPIC, "after close") and None)
call("flush after close", p.flush)
call("close again", p.close)
call("flush of closed producer", p.flush)
p.close()
obs("in_transaction", p.in_transaction)
