"""Producer: sync, queued, batch, async, flush, errors."""

from __future__ import annotations

import asyncio

import pytest

import klient
from klient.producer import KafkaProducer, ProducerConfig, ProduceResult

from conftest import read_all


def test_produce_sync_returns_delivery(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    r = producer.produce(topic=topic, key=b"user-1", value=b"hello")
    assert isinstance(r, ProduceResult)
    assert r.status == "success" and r.error is None
    assert r.topic == topic and r.partition == 0 and r.offset == 0
    r2 = producer.produce(topic, key="str-key", value="str-value", headers={"h": "v", "n": None})
    assert r2.offset == 1
    msgs = read_all(bootstrap, topic, 2)
    assert [(m.key, m.value) for m in msgs] == [(b"user-1", b"hello"), (b"str-key", b"str-value")]
    assert msgs[1].headers == [("h", b"v"), ("n", None)]
    assert msgs[0].headers is None
    assert msgs[0].timestamp and msgs[0].timestamp > 1_600_000_000_000


def test_produce_null_and_empty(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    producer.produce(topic)  # null key, null value (tombstone)
    producer.produce(topic, key=b"", value=b"")
    producer.produce(topic, value=bytearray(b"ba"), partition=0, timestamp=1_700_000_000_000)
    msgs = read_all(bootstrap, topic, 3)
    assert (msgs[0].key, msgs[0].value) == (None, None)
    assert (msgs[1].key, msgs[1].value) == (b"", b"")
    assert msgs[2].value == b"ba" and msgs[2].timestamp == 1_700_000_000_000


def test_produce_flush_false_queues(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    results = [producer.produce(topic, value=f"m{i}", flush=False) for i in range(50)]
    assert all(r.status == "queued" and r.offset is None for r in results)
    assert producer.flush(timeout=20) == 0
    assert len(producer) == 0 and producer.pending == 0
    assert producer.poll(0) == 0  # flush already pulled the reports
    assert producer.delivery_failures == 0
    assert len(read_all(bootstrap, topic, 50)) == 50


def test_produce_batch_one_call(producer: KafkaProducer, make_topic, bootstrap: str) -> None:
    t1, t2 = make_topic(), make_topic()
    msgs = [
        {"topic": t1, "key": b"a", "value": b"1"},
        {"key": "b", "value": "2", "headers": [("x", b"y")]},
        (b"c", b"3"),
        b"4",
        klient.MessageResult(topic="ignored", partition=0, offset=0, key=b"e", value=b"5"),
    ]
    res = producer.produce_batch(msgs, topic=t2)
    assert [r.status for r in res] == ["success"] * 5
    assert res[0].topic == t1 and all(r.topic == t2 for r in res[1:])
    assert [r.offset for r in res[1:]] == [0, 1, 2, 3]
    queued = producer.produce_batch([b"q1", b"q2"], topic=t1, flush=False)
    assert [r.status for r in queued] == ["queued", "queued"]
    producer.flush()
    assert producer.produce_batch([]) == []
    got = read_all(bootstrap, t2, 4)
    assert [m.value for m in got] == [b"2", b"3", b"4", b"5"]
    assert got[0].headers == [("x", b"y")]
    assert len(read_all(bootstrap, t1, 3)) == 3


def test_produce_batch_bad_items(producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(TypeError, match="message 0"):
        producer.produce_batch([object()], topic=topic)
    with pytest.raises(TypeError, match="unknown field"):
        producer.produce_batch([{"topic": topic, "valu": b"x"}])
    with pytest.raises(TypeError, match="topic"):
        producer.produce_batch([b"no topic"])


async def test_aproduce(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    res = await asyncio.gather(*[producer.aproduce(topic, key=f"k{i}", value=f"v{i}") for i in range(20)])
    assert all(r.status == "success" for r in res)
    assert sorted(r.offset for r in res) == list(range(20))
    one = await producer.aproduce(topic=topic, key=b"user-2", value=b"hi async")
    assert one.status == "success" and one.offset == 20
    assert len(read_all(bootstrap, topic, 21)) == 21


def test_aproduce_in_two_event_loops(producer: KafkaProducer, topic: str) -> None:
    # The spec calls asyncio.run() more than once with the same producer.
    async def one(v: bytes) -> ProduceResult:
        return await producer.aproduce(topic, value=v)

    assert asyncio.run(one(b"a")).status == "success"
    assert asyncio.run(one(b"b")).offset == 1


def test_delivery_failure_is_an_error_result(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config={"message.max.bytes": 1000}))
    try:
        r = p.produce(topic, value=b"x" * 5000)
        assert r.status == "error" and r.error and r.offset is None
        assert not r.ok and r.error_code != 0
        q = p.produce(topic, value=b"x" * 5000, flush=False)
        # Rejected locally at enqueue, or failed at delivery: either way visible.
        assert q.status == "queued"
        p.flush(5)
        assert p.delivery_failures == 1
    except klient.KafkaProducerError as e:
        assert "size" in str(e).lower() or "large" in str(e).lower()
    finally:
        p.close()


def test_produce_argument_errors(producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(TypeError, match="value must be bytes, str or None"):
        producer.produce(topic, value=123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="key must be bytes"):
        producer.produce(topic, key=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="topic"):
        producer.produce(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="topic"):
        producer.produce("")
    with pytest.raises(TypeError, match="partition"):
        producer.produce(topic, partition="0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="partition"):
        producer.produce(topic, partition=-5)
    with pytest.raises(TypeError, match="headers"):
        producer.produce(topic, headers="h")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="header keys"):
        producer.produce(topic, headers=[(1, b"v")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="pair"):
        producer.produce(topic, headers=[("only-key",)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="timestamp"):
        producer.produce(topic, timestamp="now")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timestamp"):
        producer.produce(topic, timestamp=-1)
    with pytest.raises(TypeError, match="timeout"):
        producer.produce(topic, timeout="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        producer.produce(topic, timeout=-1)
    with pytest.raises(TypeError, match="ProducerConfig"):
        KafkaProducer({"bootstrap_servers": "x"})  # type: ignore[arg-type]


def test_produce_to_partition_that_does_not_exist(producer: KafkaProducer, topic: str) -> None:
    r = producer.produce(topic, value=b"x", partition=7, timeout=10)
    assert r.status == "error" and r.error


def test_datetime_timestamp(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    import datetime as dt

    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    producer.produce(topic, value=b"t", timestamp=when)
    (m,) = read_all(bootstrap, topic, 1)
    assert m.timestamp == int(when.timestamp() * 1000)


def test_use_after_close(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    assert "open" in repr(p)
    p.close()
    p.close()  # idempotent
    assert p.closed and "closed" in repr(p)
    with pytest.raises(klient.KafkaProducerError, match="closed") as ei:
        p.produce(topic, value=b"x")
    assert ei.value.code == klient.errors.ERR_CLOSED and ei.value.kind == "closed"
    with pytest.raises(klient.KafkaProducerError, match="closed"):
        p.flush()
    with pytest.raises(klient.KafkaProducerError, match="closed"):
        asyncio.run(p.aproduce(topic, value=b"x"))
    assert p.in_transaction is False


def test_context_manager_and_len(bootstrap: str, topic: str) -> None:
    with KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, client_id="cm", linger_ms=0, acks=1)) as p:
        p.produce(topic, value=b"x", flush=False)
        assert p.config.client_id == "cm"
        p.poll(5)
        assert len(p) == 0
    assert p.closed


def test_bad_config_raises_config_error() -> None:
    with pytest.raises(klient.KlientConfigError):
        KafkaProducer(ProducerConfig(additional_config={"no.such.property": "1"}))
