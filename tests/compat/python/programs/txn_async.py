# abegin/acommit/aabort_transaction and `async with producer.atransaction() as tx:`.
import asyncio

from _compat import BOOTSTRAP, TOPIC, RUN_ID, obs
from klient.producer import KafkaProducer, ProducerConfig


async def main():
    p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP, transactional_id=f"txn-as-{RUN_ID}"))
    r = await p.abegin_transaction()
    obs("abegin", [r.success, r.operation])
    await p.aproduce(TOPIC, "a-committed")
    r = await p.acommit_transaction()
    obs("acommit", [r.success, r.operation])
    await p.abegin_transaction()
    await p.aproduce(TOPIC, "a-aborted")
    r = await p.aabort_transaction()
    obs("aabort", [r.success, r.operation])
    async with p.atransaction() as tx:
        obs("context class", type(tx).__name__)
        obs("result", [tx.result.success, tx.result.operation])
        await p.aproduce(TOPIC, key=b"k3", value=b"async-1")
    try:
        async with p.atransaction():
            await p.aproduce(TOPIC, "async-aborted")
            raise KeyError("stop")
    except KeyError:
        obs("raised", True)
    obs("in_transaction", p.in_transaction)
    obs("isinstance", isinstance(p.atransaction(), KafkaProducer.AsyncTransactionContext))
    p.close()

asyncio.run(main())
