# aproduce (released order, flush=False), aproduce(flush=True), aproduce_batch, aflush.
import asyncio

from _compat import BOOTSTRAP, TOPIC, differs, obs
from klient.producer import KafkaProducer, ProducerConfig

seen = []


async def main():
    p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
    differs("aproduce returns", "PY-P1", await p.aproduce(TOPIC, "a1", "k1"))
    await p.aproduce(TOPIC, "a2", callback=lambda r: seen.append([r.offset, r.success]))
    obs("aflush", await p.aflush())
    obs("callback", seen)
    r = await p.aproduce(TOPIC, "a3", None, {"h": "v"}, 0, None, True)  # flush=True, positional
    differs("aproduce flush=True returns", "PY-P1", r)
    b = await p.aproduce_batch([{"topic": TOPIC, "value": f"b{i}"} for i in range(3)])
    differs("aproduce_batch returns", "PY-P1", b)
    await p.aproduce_batch([{"topic": TOPIC, "value": "b-late"}], False)
    obs("aflush(timeout=10)", await p.aflush(timeout=10))
    await asyncio.gather(*(p.aproduce(TOPIC, f"g{i}", f"k{i}") for i in range(5)))
    obs("aflush after gather", await p.aflush())
    p.close()

asyncio.run(main())
obs("done")
