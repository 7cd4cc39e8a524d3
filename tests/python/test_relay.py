"""ExactlyOnceRelay over the core relay, with Python transforms."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import klient
from klient.consumer import ConsumerConfig, KafkaConsumer, MessageResult
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

from conftest import read_all, uid


def seed(bootstrap: str, topic: str, n: int) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    p.produce_batch([{"key": f"k{i}", "value": f"v{i}"} for i in range(n)], topic=topic)
    p.close()


def pair(bootstrap: str) -> tuple[KafkaConsumer, KafkaProducer]:
    cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("relay"), isolation_level="read_committed"))
    prod = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("relay-tx")))
    return cons, prod


def stop_when(relay: ExactlyOnceRelay, pred, timeout: float = 30.0) -> threading.Thread:
    def watch() -> None:
        deadline = time.time() + timeout
        while time.time() < deadline and not pred():
            time.sleep(0.1)
        relay.stop()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def test_spec_relay_identity_and_batches(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    seed(bootstrap, src, 60)
    cons, prod = pair(bootstrap)
    calls: list[int] = []

    def transform(msg):
        calls.append(threading.get_ident())
        return msg  # identity or modify msg.value

    relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=25)
    before = klient.metrics.get("relay.messages.forwarded")
    stop_when(relay, lambda: relay.stats().get("forwarded", 0) >= 60)
    relay.run(src, dst)  # blocking until stopped
    stats = relay.stats()
    assert stats["forwarded"] == 60 and stats["batches"] >= 3
    assert len(calls) == 60
    assert klient.metrics.get("relay.messages.forwarded") >= before + 60 or klient.metrics.get("relay.batch.commit") > 0
    out = read_all(bootstrap, dst, 60)
    assert [m.value for m in out] == [f"v{i}".encode() for i in range(60)]
    assert out[0].key == b"k0"
    assert "idle" in repr(relay)
    cons.close()
    prod.close()


def test_relay_transform_outputs(bootstrap: str, make_topic) -> None:
    src, dst, side = make_topic(), make_topic(), make_topic()
    seed(bootstrap, src, 5)
    cons, prod = pair(bootstrap)

    def transform(msg: MessageResult):
        i = int(msg.value[1:])
        if i == 0:
            return None  # drop
        if i == 1:
            return msg.value.upper()  # bytes: key kept
        if i == 2:
            return "str-" + msg.value.decode()
        if i == 3:
            return {"key": b"new", "value": b"dict", "headers": {"h": b"1"}}
        return [MessageResult(topic=src, partition=0, offset=0, key=b"a", value=b"fan1", timestamp=(0, -1)),
                {"topic": side, "value": b"side"}]

    relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=10, max_batch_time=0.2)
    stop_when(relay, lambda: relay.stats().get("consumed", 0) >= 5 and relay.stats().get("batches", 0) >= 1)
    relay.run(src, dst)
    out = read_all(bootstrap, dst, 5)
    assert [(m.key, m.value) for m in out] == [(b"k1", b"V1"), (b"k2", b"str-v2"), (b"new", b"dict"), (b"a", b"fan1")]
    assert out[2].headers == {"h": b"1"}
    assert [m.value for m in read_all(bootstrap, side, 1)] == [b"side"]
    cons.close()
    prod.close()


def test_relay_transform_that_raises(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    seed(bootstrap, src, 3)
    cons, prod = pair(bootstrap)

    def transform(msg):
        raise KeyError("no such field")

    relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=5, max_batch_time=0.2)
    with pytest.raises(klient.KafkaRelayError, match="KeyError") as ei:
        relay.run(src, dst)
    assert isinstance(ei.value.__cause__, KeyError)
    assert read_all(bootstrap, dst, 1, timeout=3) == []
    cons.close()
    prod.close()


def test_relay_bad_output_type(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    seed(bootstrap, src, 1)
    cons, prod = pair(bootstrap)
    relay = ExactlyOnceRelay(cons, prod, transform=lambda m: 42, batch_size=5, max_batch_time=0.2)
    with pytest.raises(klient.KafkaRelayError) as ei:
        relay.run(src, dst)
    assert isinstance(ei.value.__cause__, TypeError)
    relay2 = ExactlyOnceRelay(cons, prod, transform=lambda m: {"bogus": 1}, batch_size=5)
    with pytest.raises(klient.KafkaRelayError):
        relay2.run(src, dst)
    cons.close()
    prod.close()


async def test_relay_arun_async_transform(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    await asyncio.get_running_loop().run_in_executor(None, seed, bootstrap, src, 40)
    cons, prod = pair(bootstrap)

    async def transform(msg):
        await asyncio.sleep(0)
        return (msg.value or b"") + b"|async"

    relay = ExactlyOnceRelay(cons, prod, transform=transform, batch_size=10)

    async def stopper() -> None:
        while relay.stats().get("forwarded", 0) < 40:
            await asyncio.sleep(0.1)
        relay.stop()

    s = asyncio.create_task(stopper())
    await asyncio.wait_for(relay.arun(src, dst, max_in_flight=3), 60)
    await s
    out = await asyncio.get_running_loop().run_in_executor(None, read_all, bootstrap, dst, 40)
    assert len(out) == 40 and all(m.value.endswith(b"|async") for m in out)
    cons.close()
    prod.close()


async def test_relay_arun_cancel_stops(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    cons, prod = pair(bootstrap)
    relay = ExactlyOnceRelay(cons, prod)  # identity in the core
    task = asyncio.create_task(relay.arun(src, dst))
    await asyncio.sleep(2)
    assert "running" in repr(relay)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "idle" in repr(relay)
    cons.close()
    prod.close()


def test_relay_misuse(bootstrap: str, producer: KafkaProducer) -> None:
    cons, prod = pair(bootstrap)
    with pytest.raises(ValueError, match="transactional"):
        ExactlyOnceRelay(cons, producer)
    with pytest.raises(TypeError):
        ExactlyOnceRelay("c", prod)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ExactlyOnceRelay(cons, "p")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ExactlyOnceRelay(cons, prod, transform=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ExactlyOnceRelay(cons, prod, batch_size=0)
    with pytest.raises(ValueError):
        ExactlyOnceRelay(cons, prod, max_batch_time=0)
    relay = ExactlyOnceRelay(cons, prod)
    with pytest.raises(ValueError):
        relay.run("a", "b", max_in_flight=0)
    with pytest.raises(TypeError):
        relay.run("", "b")
    relay.stop()  # not running: no-op
    assert relay.stats() == {}
    sync_async = ExactlyOnceRelay(cons, prod, transform=lambda m: asyncio.sleep(0))
    src = uid("src")
    with pytest.raises(klient.KafkaRelayError, match="arun"):
        seed(bootstrap, src, 1)
        sync_async.run(src, uid("dst"))
    cons.close()
    prod.close()
    with pytest.raises(klient.KafkaConsumerError, match="closed"):
        ExactlyOnceRelay(cons, prod).run("a", "b")


def test_relay_stop_on_empty_released_form(bootstrap: str, make_topic) -> None:
    """ExactlyOnceRelay(c, p, transform, batch_size, poll_timeout) and
    run(src, dst, stop_on_empty=True): returns once the source is drained."""
    src, dst = make_topic(), make_topic()
    seed(bootstrap, src, 7)
    cons, prod = pair(bootstrap)
    seen: list[tuple] = []

    def transform(m: MessageResult) -> MessageResult:
        seen.append((m.offset, m.headers, m.timestamp[0]))
        m.value = m.value.upper()
        return m

    relay = ExactlyOnceRelay(cons, prod, transform, 3, 0.5)
    t0 = time.time()
    relay.run(src, dst, stop_on_empty=True)
    assert time.time() - t0 < 30
    assert [s[0] for s in seen] == list(range(7)) and all(s[1] == {} and s[2] == 1 for s in seen)
    assert [m.value for m in read_all(bootstrap, dst, 7)] == [f"V{i}".encode() for i in range(7)]
    relay.stop()  # closes the consumer and the producer, as released
    assert cons.closed
    with pytest.raises(klient.KafkaConsumerError):
        cons.poll_message(0.1)


async def test_relay_arun_stop_on_empty(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    seed(bootstrap, src, 5)
    cons, prod = pair(bootstrap)
    cons.subscribe([src])  # already subscribed with auto-commit: the relay takes it over
    relay = ExactlyOnceRelay(cons, prod, batch_size=2, poll_timeout=0.5)
    await asyncio.wait_for(relay.arun(src, dst, True, 2), 40)
    assert relay.stats()["forwarded"] == 5
    relay.stop()


def test_relay_keeps_headers(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    p.produce(src, key=b"k", value=b"v", headers={"trace": b"abc"})
    p.flush()
    p.close()
    cons, prod = pair(bootstrap)
    relay = ExactlyOnceRelay(cons, prod, poll_timeout=0.5)  # identity in the core
    relay.run(src, dst, stop_on_empty=True)
    out = read_all(bootstrap, dst, 1)
    assert [(m.key, m.value, m.headers) for m in out] == [(b"k", b"v", {"trace": b"abc"})]
    relay.stop()


def test_stop_during_initial_transaction_setup_returns_promptly() -> None:
    # No broker: the relay's transactional init would wait up to a minute; stop() from
    # another thread ends run() within a couple of seconds.
    cons, prod = pair("127.0.0.1:1")
    relay = ExactlyOnceRelay(cons, prod)
    threading.Timer(0.7, relay.stop).start()
    t0 = time.time()
    relay.run("relay-init-src", "relay-init-dst")
    assert time.time() - t0 < 5, f"run() returned {time.time() - t0:.1f}s after start"
    assert cons.closed and prod.closed
