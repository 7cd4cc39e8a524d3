# README "Transactions": sync and async transaction context managers.
import asyncio

from klient.producer import KafkaProducer, ProducerConfig

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs

producer = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"tx-demo-{RUN_ID}"))

with producer.transaction():  # sync context manager
    producer.produce(TOPIC, key=b"k1", value=b"payload-1")
    producer.produce(TOPIC, key=b"k2", value=b"payload-2")
    # raise to trigger abort

try:
    with producer.transaction():
        producer.produce(TOPIC, key=b"kx", value=b"aborted")
        raise RuntimeError("raise to trigger abort")
except RuntimeError as e:
    obs("re-raised", str(e))
obs("in_transaction after abort", producer.in_transaction)


# Async
async def run_tx():
    async with producer.atransaction():
        await producer.aproduce(TOPIC, key=b"k3", value=b"async-1")
asyncio.run(run_tx())
r = producer.begin_transaction()
obs("begin result", [type(r).__name__, r.success, r.error])
producer.produce(TOPIC, key=b"k4", value=b"explicit")
r = producer.commit_transaction()
obs("commit result", [type(r).__name__, r.success, r.error])
producer.close()
