"""Producer: sync, queued, batch, async, flush, errors."""

from __future__ import annotations

import asyncio
import logging

import pytest

import klient
from klient.producer import KafkaProducer, ProducerConfig, ProduceResult

_LINGER_FALLBACK = 0.002  # 5 ms capped at the buffer's 2 ms

from conftest import read_all


def test_produce_sync_returns_delivery(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    r = producer.produce(topic=topic, key=b"user-1", value=b"hello", flush=True)
    assert isinstance(r, ProduceResult)
    assert r.status == "success" and r.error is None
    assert r.topic == topic and r.partition == 0 and r.offset == 0
    r2 = producer.produce(topic, key="str-key", value="str-value", headers={"h": "v", "n": None}, flush=True)
    assert r2.offset == 1
    msgs = read_all(bootstrap, topic, 2)
    assert [(m.key, m.value) for m in msgs] == [(b"user-1", b"hello"), (b"str-key", b"str-value")]
    assert msgs[1].headers == {"h": b"v", "n": None}
    assert msgs[0].headers == {}
    assert msgs[0].timestamp[0] == 1 and msgs[0].timestamp[1] > 1_600_000_000_000


def test_sync_produce_waits_past_its_first_slice(topic: str, bootstrap: str) -> None:
    # linger.ms 400 holds the report past the first 100 ms wait, which produce(flush=True)
    # makes in the same call as the queueing: the wait goes on through the handle it got.
    import time

    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, linger_ms=400))
    try:
        t0 = time.monotonic()
        r = p.produce(topic, value=b"late", flush=True, timeout=30)
        assert r.status == "success" and r.partition == 0 and r.offset == 0
        assert time.monotonic() - t0 >= 0.35
        # A deadline inside the first slice ends the wait there, and the report of the
        # message, still queued, comes at the next flush.
        t0 = time.monotonic()
        with pytest.raises(klient.errors.KafkaProducerError) as e:
            p.produce(topic, value=b"later", flush=True, timeout=0.05)
        assert e.value.code == klient.errors.ERR_TIMEOUT and time.monotonic() - t0 < 0.3
        assert p.flush(timeout=30) == 0
        assert [m.value for m in read_all(bootstrap, topic, 2)] == [b"late", b"later"]
    finally:
        p.close(timeout=5)


def test_plain_sync_produce_takes_the_lean_path_and_agrees_with_the_general_one(
        topic: str, bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # produce(flush=True) of bytes or None, without headers, timestamp or callback, builds
    # its C message without MessageIn (the general path's): with MessageIn gone, those
    # calls still work, give what the general path gives, and every other call fails.
    import dataclasses

    import klient.producer as kp

    with KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap)) as p:
        general = p.produce(topic, value="v0", key="k0", flush=True)  # str values: the general path
        monkeypatch.setattr(kp, "MessageIn", None)
        lean = [p.produce(topic, value=b"v1", key=b"k1", flush=True),
                p.produce(topic, b"v2", None, None, 0, None, True),  # the released positional order
                p.produce(topic, flush=True, timeout=5)]
        with pytest.raises(TypeError):
            p.produce(topic, value="v", flush=True)
        with pytest.raises(TypeError):
            p.produce(topic, value=b"v", flush=True, headers={"h": b"1"})
        monkeypatch.undo()
    results = [general, *lean]
    assert [r.offset for r in results] == [0, 1, 2, 3]
    for r in results:
        assert r.status == "success" and r.partition == 0 and r.topic == topic and r.error is None
        assert isinstance(r.timestamp, int) and r.timestamp > 1_600_000_000_000
        assert [type(v) for v in dataclasses.astuple(r)] == [type(v) for v in dataclasses.astuple(general)]
    msgs = read_all(bootstrap, topic, 4)
    assert [(m.key, m.value) for m in msgs] == [(b"k0", b"v0"), (b"k1", b"v1"), (None, b"v2"), (None, None)]


def test_produce_null_and_empty(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    producer.produce(topic)  # null key, null value (tombstone)
    producer.produce(topic, key=b"", value=b"")
    producer.produce(topic, value=bytearray(b"ba"), partition=0, timestamp=1_700_000_000_000)
    msgs = read_all(bootstrap, topic, 3)
    assert (msgs[0].key, msgs[0].value) == (None, None)
    assert (msgs[1].key, msgs[1].value) == (b"", b"")
    assert msgs[2].value == b"ba" and msgs[2].timestamp == (1, 1_700_000_000_000)


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
        klient.MessageResult(topic="ignored", partition=0, offset=0, key=b"e", value=b"5", timestamp=(0, -1)),
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
    assert got[0].headers == {"x": b"y"}
    assert len(read_all(bootstrap, t1, 3)) == 3


def test_produce_batch_bad_items(producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(TypeError, match="message 0"):
        producer.produce_batch([object()], topic=topic)
    with pytest.raises(TypeError, match="unknown field"):
        producer.produce_batch([{"topic": topic, "valu": b"x"}])
    with pytest.raises(TypeError, match="topic"):
        producer.produce_batch([b"no topic"])


async def test_aproduce(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    res = await asyncio.gather(*[producer.aproduce(topic, key=f"k{i}", value=f"v{i}", flush=True) for i in range(20)])
    assert all(r.status == "success" for r in res)
    assert sorted(r.offset for r in res) == list(range(20))
    one = await producer.aproduce(topic=topic, key=b"user-2", value=b"hi async", flush=True)
    assert one.status == "success" and one.offset == 20
    # The released default (flush=False) queues; aflush waits for the delivery.
    q = await producer.aproduce(topic, "released-order", "k")
    assert q.status == "queued" and await producer.aflush() == 0
    seen: list[ProduceResult] = []
    cb = await producer.aproduce(topic, b"with-callback", flush=True, callback=seen.append)
    assert seen == [cb] and cb.success and cb.offset == 22
    got = read_all(bootstrap, topic, 23)
    assert (got[21].key, got[21].value) == (b"k", b"released-order")

async def test_aproduce_loop_yields_to_other_tasks_but_not_per_message(producer: KafkaProducer, topic: str) -> None:
    # A loop of queued aproduce() calls must let the event loop's other tasks run
    # (at least once per millisecond of producing), without a loop cycle per message.
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    n = 20000
    t0 = asyncio.get_running_loop().time()
    for i in range(n):
        await producer.aproduce(topic, b"v")
    elapsed = asyncio.get_running_loop().time() - t0
    stop.set()
    await asyncio.wait_for(t, 5)
    assert await producer.aflush(30) == 0
    assert ticks >= 2, "the producing loop starved the other task"
    assert ticks <= elapsed / 0.001 + 3 < n / 4, f"{ticks} loop cycles for {n} messages in {elapsed:.3f}s"


def test_aproduce_in_two_event_loops(producer: KafkaProducer, topic: str) -> None:
    # The spec calls asyncio.run() more than once with the same producer.
    async def one(v: bytes) -> ProduceResult:
        return await producer.aproduce(topic, value=v, flush=True)

    assert asyncio.run(one(b"a")).status == "success"
    assert asyncio.run(one(b"b")).offset == 1


def test_delivery_failure_is_an_error_result(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config={"message.max.bytes": 1000}))
    try:
        r = p.produce(topic, value=b"x" * 5000, flush=True)
        assert r.status == "error" and r.error and r.offset == -1 and r.partition == -1 and not r.success
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
        producer.produce(topic, flush=True, timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callback"):
        producer.produce(topic, callback="not callable")  # type: ignore[arg-type]
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="ProducerConfig"):
        KafkaProducer({"bootstrap_servers": "x"})  # type: ignore[arg-type]
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="delivery_callback"):
        KafkaProducer(ProducerConfig(), delivery_callback=5)  # type: ignore[arg-type]
    # Every argument error is a KafkaProducerError too (the released except clauses).
    with pytest.raises(klient.KafkaProducerError):
        producer.produce(topic, value=123)  # type: ignore[arg-type]
    with pytest.raises(klient.errors.KafkaProducerValueError):
        producer.produce("")
    with pytest.raises(klient.errors.KafkaProducerTypeError):
        producer.flush("soon")  # type: ignore[arg-type]
    with pytest.raises(klient.errors.KafkaProducerTypeError):
        producer.poll("soon")  # type: ignore[arg-type]
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="list of messages"):
        producer.produce_batch(b"not a list")  # type: ignore[arg-type]


def test_surrogate_topic_fails_its_own_produce(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    # Issue 13: a topic name that cannot be UTF-8 encoded fails at that call, on the
    # buffered path too, and the next produce still works.
    for flush in (False, True):
        with pytest.raises(klient.errors.KafkaProducerValueError):
            producer.produce("\ud800x", b"v", flush=flush)
    producer.produce(topic, b"after")
    assert producer.flush(10) == 0
    assert [m.value for m in read_all(bootstrap, topic, 1)] == [b"after"]


def test_produce_to_partition_that_does_not_exist(bootstrap: str, topic: str) -> None:
    # Before the client knows the topic's partitions, a queued message to a missing
    # one fails in its delivery callback (as in the released package); once it knows,
    # produce raises at the call; flush=True always raises (a result with status
    # "error" was easy to miss).
    seen: list[ProduceResult] = []
    with KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap)) as p:
        q = p.produce(topic, b"x", None, None, 7, seen.append)
        assert q.status == "queued"
        p.flush(10)
        assert len(seen) == 1 and not seen[0].success and seen[0].partition == -1 and seen[0].status == "error"
        with pytest.raises(klient.KafkaProducerError, match="[Uu]nknown partition"):
            p.produce(topic, value=b"x", partition=7, flush=True, timeout=10)
        with pytest.raises(klient.KafkaProducerError, match="[Uu]nknown partition"):
            p.produce(topic, value=b"x", partition=7)


def test_datetime_timestamp(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    import datetime as dt

    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    producer.produce(topic, value=b"t", timestamp=when)
    (m,) = read_all(bootstrap, topic, 1)
    assert m.timestamp == (1, int(when.timestamp() * 1000))


def test_use_after_close(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    assert "open" in repr(p)
    p.close()
    p.close()  # idempotent
    assert p.closed and "closed" in repr(p)
    assert p.in_transaction is False and p.pending == 0 and p.stats()["delivered"] == 0
    # As in the released package, the next call creates a new client.
    r = p.produce(topic, value=b"again", flush=True)
    assert r.success and not p.closed
    assert asyncio.run(p.aproduce(topic, value=b"x", flush=True)).success
    p.close()
    assert p.flush() == 0 and not p.closed
    p.close()


def test_context_manager_and_len(bootstrap: str, topic: str) -> None:
    with KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, client_id="cm", linger_ms=0, acks="all")) as p:
        p.produce(topic, value=b"x", flush=False)
        assert p.config.client_id == "cm"
        p.poll(5)
        assert len(p) == 0
    assert p.closed


def test_bad_config_raises_config_error(topic: str) -> None:
    # Created by the first call that needs the client (the released package's moment).
    p = KafkaProducer(ProducerConfig(additional_config={"no.such.property": "1"}))
    with pytest.raises(klient.KlientConfigError) as ei:
        p.produce(topic, b"x")
    assert isinstance(ei.value, klient.KafkaProducerError)


def test_callbacks_and_delivery_callback(bootstrap: str, topic: str) -> None:
    every: list[ProduceResult] = []
    own: list[ProduceResult] = []
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap), every.append)
    try:
        p.produce(topic, "a", "k")  # the released positional order: value, key
        p.produce(topic, "b", callback=own.append)
        assert every == [] and own == []  # callbacks run inside poll()/flush()
        assert p.flush() == 0
        assert [(r.offset, r.success) for r in every] == [(0, True)] and [r.offset for r in own] == [1]
        assert every[0].status == "success" and every[0].partition == 0
        res = p.produce_batch([{"topic": topic, "value": "c", "callback": own.append}, {"topic": topic, "value": "d"}])
        assert [r.offset for r in res] == [2, 3] and [r.offset for r in own] == [1, 2]
        assert [r.offset for r in every] == [0, 3]

        def boom(r: ProduceResult) -> None:
            raise RuntimeError("in callback")

        p.delivery_callback = boom  # logged, like the released package
        p.produce(topic, "e")
        assert p.flush() == 0
        p.produce(topic, "f", callback=boom)  # raised by flush, like the released package
        with pytest.raises(klient.KafkaProducerError, match="in callback"):
            p.flush()
        p.delivery_callback = None
        r = p.produce(topic, "g", flush=True, callback=own.append)
        assert own[-1] is not r and own[-1] == r
    finally:
        p.close()
    got = read_all(bootstrap, topic, 7)
    assert (got[0].key, got[0].value) == (b"k", b"a")


def test_produce_result_fields() -> None:
    import dataclasses

    assert [f.name for f in dataclasses.fields(ProduceResult)][:5] == ["topic", "partition", "offset", "success", "error"]
    r = ProduceResult("t", 0, 5, True)
    assert r.status == "success" and r.ok
    assert ProduceResult("t", -1, -1, False, "boom").status == "error"
    assert ProduceResult("t").status == "queued"


def test_produce_with_retry_released_form(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    seen: list[ProduceResult] = []
    r = producer.produce_with_retry(topic, "v", "k", None, None, seen.append, max_attempts=3, base_backoff=0.01)
    assert r.success and seen == [r]
    r2 = asyncio.run(producer.aproduce_with_retry(topic, value=b"data"))
    assert r2.success and r2.offset == 1
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="unexpected keyword"):
        producer.produce_with_retry(topic, valu=b"x")
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="multiple values"):
        producer.produce_with_retry(topic, b"x", value=b"y")
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="topic"):
        producer.produce_with_retry(value=b"x")
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="at most"):
        producer.produce_with_retry(*range(10))
    with pytest.raises(klient.errors.KafkaProducerValueError, match="max_attempts"):
        asyncio.run(producer.aproduce_with_retry(topic, max_attempts=0))
    assert [(m.key, m.value) for m in read_all(bootstrap, topic, 2)] == [(b"k", b"v"), (None, b"data")]


async def test_async_batch_flush_and_argument_errors(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    res = await producer.aproduce_batch(({"topic": topic, "value": f"b{i}"} for i in range(3)))  # an iterator
    assert [r.offset for r in res] == [0, 1, 2]
    q = await producer.aproduce_batch([b"late"], False, topic)
    assert q[0].status == "queued"
    assert await producer.aflush(timeout=10) == 0
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="callback"):
        await producer.aproduce(topic, b"x", flush=True, callback=5)  # type: ignore[arg-type]
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="value"):
        await producer.aproduce(topic, 5, flush=True)  # type: ignore[arg-type]
    with pytest.raises(klient.KafkaProducerError, match="[Uu]nknown partition"):
        await producer.aproduce(topic, b"x", partition=9, flush=True)
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="message 0: callback"):
        producer.produce_batch([{"topic": topic, "value": b"x", "callback": 5}])
    assert [m.value for m in read_all(bootstrap, topic, 4)] == [b"b0", b"b1", b"b2", b"late"]


def test_close_delivers_pending_callbacks(bootstrap: str, topic: str, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[ProduceResult] = []
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap), lambda r: seen.append(r))
    p.produce(topic, b"a")
    p.close()  # flushes: the callback gets the real delivery, not "closed"
    assert [(r.success, r.offset) for r in seen] == [(True, 0)]

    def boom(r: ProduceResult) -> None:
        raise RuntimeError("batch callback")

    p.delivery_callback = boom
    with caplog.at_level(logging.ERROR, logger="klient.producer"):
        res = p.produce_batch([{"topic": topic, "value": b"b"}])
    assert res[0].success and "delivery_callback_failed" in caplog.text
    p.delivery_callback = None
    p.produce(topic, b"c", callback=boom)
    p.close()  # the callback's exception is logged by close, which still releases the client
    assert p.closed


def test_non_utf8_str_is_both_classes(producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(UnicodeEncodeError) as ei:
        producer.produce(topic, "\ud800")
    assert isinstance(ei.value, klient.KafkaProducerError) and "surrogates" in str(ei.value)
    assert ei.value.reason == "surrogates not allowed"


def test_from_env_config_released_positional(tmp_path, bootstrap: str, topic: str) -> None:
    import json

    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"dev": {"bootstrap.servers": bootstrap, "transactional.id": "from-file"}}))
    seen: list[ProduceResult] = []
    p = KafkaProducer.from_env_config("dev", str(cfg), None, seen.append)
    assert p.config.transactional_id == "from-file" and p.supports_transactions and p.delivery_callback is not None
    q = KafkaProducer.from_env_config("dev", str(cfg), "override")
    assert q.config.transactional_id == "override"
    p.close()
    q.close()


def test_linger_of_a_bad_value_falls_back() -> None:
    p = KafkaProducer(ProducerConfig(additional_config={"linger.ms": "soon"}))
    assert p._linger == _LINGER_FALLBACK
    with pytest.raises(klient.KlientConfigError):
        p.flush()


def test_only_error_reports_call_back_failures_only(bootstrap: str, topic: str) -> None:
    """librdkafka's delivery.report.only.error (through additional_config): callbacks hear
    of failures only, as under the released package's confluent-kafka, and every call
    still ends with the delivery (the library itself needs every report)."""
    seen: list[ProduceResult] = []
    only_errors = {"delivery.report.only.error": True}
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config=only_errors), seen.append)
    try:
        assert p.produce(topic, "sync", callback=seen.append, flush=True).offset == 0
        res = p.produce_batch([{"topic": topic, "value": "a", "callback": seen.append}, {"topic": topic, "value": "b"}])
        assert [r.offset for r in res] == [1, 2]
        assert asyncio.run(p.aproduce(topic, value=b"c", flush=True)).offset == 3
        assert p.produce_with_retry(topic, "d", callback=seen.append).offset == 4
        p.produce(topic, "e")
        assert p.flush(10) == 0
        assert seen == []
    finally:
        p.close()
    failing = {"delivery.report.only.error": "true", "message.timeout.ms": 300}
    bad = KafkaProducer(ProducerConfig(bootstrap_servers="127.0.0.1:1", additional_config=failing), seen.append)
    try:
        bad.produce(topic, "undeliverable")
        bad.flush(10)
        assert [r.success for r in seen] == [False]
    finally:
        bad.close()
