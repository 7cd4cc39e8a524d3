"""Consumer: poll, batch, stream (sync/async), seek, commit, rebalance callbacks, misuse."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import klient
from klient.consumer import ConsumerConfig, KafkaConsumer, MessageResult, TopicPartition

from conftest import consumer_for, uid


def seed(bootstrap: str, topic: str, n: int, partition: int | None = None) -> None:
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    res = p.produce_batch([{"key": f"k{i}", "value": f"v{i}", "partition": partition} for i in range(n)], topic=topic)
    assert all(r.status == "success" for r in res)
    p.close()


def test_poll_batch_stream(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 30)
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic]))
    try:
        first = None
        deadline = time.time() + 20
        while first is None and time.time() < deadline:
            first = c.poll(timeout=1.0)
        assert isinstance(first, MessageResult)
        assert (first.topic, first.partition, first.offset, first.key, first.value) == (topic, 0, 0, b"k0", b"v0")
        # Built field by field (not through __init__), it is what __init__ builds, vars() included.
        same = MessageResult(topic, 0, 0, b"k0", b"v0", first.timestamp, {})
        assert first == same and list(vars(first).items()) == list(vars(same).items())
        batch = c.consume_messages(max_messages=10, timeout=5.0)
        assert [m.offset for m in batch] == list(range(1, 11))
        streamed = list(c.message_stream(timeout=1.0, limit=19))
        assert [m.offset for m in streamed] == list(range(11, 30))
        assert c.poll(timeout=0.3) is None
        assert c.consume_messages(5, timeout=0.3) == []
        assert c.poll(timeout=0) is None
        assert "open" in repr(c) and c.subscription == [topic]
    finally:
        c.close()


def test_stream_breaks_without_losing_messages(bootstrap: str, topic: str) -> None:
    """Breaking out of message_stream must not mark unseen messages for commit."""
    seed(bootstrap, topic, 10)
    group = uid("g")
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))
    for m in c.message_stream(timeout=1.0):
        if m.offset == 2:
            break
    c.commit()
    c.stop()
    c.close()
    c2 = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))
    rest = c2.consume_messages(10, timeout=10)
    c2.close()
    assert [m.offset for m in rest] == list(range(3, 10))


def test_stream_max_batch(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 20)
    c = consumer_for(bootstrap, topic)
    try:
        got = list(c.message_stream(limit=20, max_batch=8))
        assert [m.offset for m in got] == list(range(20))
        with pytest.raises(ValueError, match="max_batch"):
            next(c.message_stream(max_batch=0))
        with pytest.raises(ValueError, match="limit"):
            next(c.message_stream(limit=-1))
        assert list(c.message_stream(limit=0)) == []
    finally:
        c.close()


def test_stream_unlimited_until_stop_from_another_thread(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 5)
    c = consumer_for(bootstrap, topic)
    got = []
    stopper = threading.Timer(0.0, lambda: None)
    try:
        for m in c.message_stream(timeout=1.0):
            got.append(m)
            if len(got) == 5:
                # Stop from another thread while the stream waits for more.
                stopper = threading.Timer(0.5, c.stop)
                stopper.start()
        assert len(got) == 5 and c.stopped
        # stop() closes the consumer, as the released package's does: later polls raise.
        with pytest.raises(klient.KafkaConsumerError, match="closed"):
            c.poll(5)
        assert "closed" in repr(c) and list(c.message_stream()) == []
    finally:
        stopper.cancel()
        c.close()


async def test_amessage_stream(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 12)
    c = consumer_for(bootstrap, topic)
    try:
        got = []
        async for m in c.amessage_stream(timeout=1.0, limit=12):
            got.append(m.offset)
        assert got == list(range(12))
        assert await c.apoll(timeout=0.3) is None
        # The loop keeps running while the stream waits: a concurrent task progresses.
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        t = asyncio.create_task(ticker())
        p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
        await p.aproduce(topic, value=b"late")
        m = await c.apoll(timeout=10)
        assert m is not None and m.value == b"late"
        asyncio.get_running_loop().call_later(0.3, c.stop)
        rest = [m async for m in c.amessage_stream(timeout=1.0)]
        assert rest == []
        t.cancel()
        assert ticks > 5
        p.close()
    finally:
        c.close()


def test_seek_before_assignment(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 10)
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")))
    try:
        c.subscribe([topic])
        # Not assigned yet: applied when the group assigns the partition.
        c.seek_to_offset(topic=topic, offset=7)
        got = c.consume_messages(3, timeout=15)
        assert [m.offset for m in got] == [7, 8, 9]
    finally:
        c.close()


def test_seek_to_offset(bootstrap: str, make_topic) -> None:
    topic = make_topic(2)
    seed(bootstrap, topic, 10, partition=0)
    seed(bootstrap, topic, 10, partition=1)
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")))
    try:
        c.subscribe([topic])
        deadline = time.time() + 20
        while len(c.assignment()) < 2 and time.time() < deadline:
            c.poll(0.2)
        assert {tp.partition for tp in c.assignment()} == {0, 1}
        c.seek_to_offset(topic=topic, offset=7)  # every partition
        got = c.consume_messages(6, timeout=15)
        assert sorted((m.partition, m.offset) for m in got) == [(0, 7), (0, 8), (0, 9), (1, 7), (1, 8), (1, 9)]
        c.seek_to_offset(topic=topic, offset=4, partition=1)  # one partition
        got = c.consume_messages(6, timeout=10)
        assert [(m.partition, m.offset) for m in got] == [(1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (1, 9)]
        assert all(isinstance(tp, TopicPartition) for tp in c.position())
        with pytest.raises(TypeError, match="offset"):
            c.seek_to_offset(topic, "1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="Partition"):
            c.seek_to_offset(topic, 1, partition=-3)
        with pytest.raises(klient.KafkaConsumerError, match="Offset"):
            c.seek_to_offset(topic, -1)  # the released package raises too (klient read nothing)
        with pytest.raises(TypeError, match="topic"):
            c.seek_to_offset("", 1)
        with pytest.raises(klient.KafkaConsumerError, match="Offset"):
            c.seek_to_offset(topic, -7)
    finally:
        c.close()


def test_commit_and_committed(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 5)
    group = uid("g")
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic], enable_auto_commit=False))
    try:
        assert len(c.consume_messages(3, timeout=15)) == 3
        c.commit()
        assert [(tp.partition, tp.offset) for tp in c.committed()] == [(0, 3)]
        c.consume_messages(2, timeout=5)
        c.commit(asynchronous=True)
        deadline = time.time() + 5
        while time.time() < deadline and c.committed()[0].offset != 5:
            time.sleep(0.1)
        assert c.committed()[0].offset == 5
        c.commit()  # nothing new: not an error
    finally:
        c.close()


def test_rebalance_callbacks(bootstrap: str, topic: str) -> None:
    seen: list[tuple[str, list[TopicPartition]]] = []
    group = uid("g")
    c = KafkaConsumer(
        ConsumerConfig(bootstrap_servers=bootstrap, group_id=group),
        on_assign=lambda consumer, parts: seen.append(("assign", parts)),
        on_revoke=lambda parts: seen.append(("revoke", parts)),  # one-argument form
        on_lost=lambda consumer, parts: seen.append(("lost", parts)),
    )
    before = klient.metrics.get("consumer.rebalance.assign")
    c.subscribe([topic])
    deadline = time.time() + 20
    while not seen and time.time() < deadline:
        c.poll(0.5)
    assert seen and seen[0][0] == "assign"
    assert seen[0][1] == [TopicPartition(topic, 0, seen[0][1][0].offset)]
    assert klient.metrics.get("consumer.rebalance.assign") > before
    # A second member triggers a revoke in the first.
    c2 = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))
    deadline = time.time() + 30
    while not any(k == "revoke" for k, _ in seen) and time.time() < deadline:
        c.poll(0.2)
        c2.poll(0.2)
    c2.close()
    c.close()
    assert any(k == "revoke" for k, _ in seen)


def test_rebalance_callback_that_raises(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 3)

    def bad(consumer: KafkaConsumer, parts: list[TopicPartition]) -> None:
        raise ZeroDivisionError("bad callback")

    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic]), on_assign=bad)
    try:
        with pytest.raises(klient.KafkaConsumerRebalanceError, match="on_assign callback raised ZeroDivisionError") as ei:
            deadline = time.time() + 20
            while time.time() < deadline:
                c.poll(0.5)
        assert isinstance(ei.value.__cause__, ZeroDivisionError)
        assert isinstance(ei.value, klient.KafkaConsumerError)
        # The consumer still works afterwards: no message was lost.
        got = c.consume_messages(3, timeout=10)
        assert [m.value for m in got] == [b"v0", b"v1", b"v2"]
    finally:
        c.close()


def test_subscribe_misuse(bootstrap: str) -> None:
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")))
    try:
        with pytest.raises(TypeError, match=r"subscribe\(\['events'\]\)"):
            c.subscribe("events")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            c.subscribe({"events"})  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            c.subscribe([])
        with pytest.raises(TypeError):
            c.subscribe(["ok", 3])  # type: ignore[list-item]
        with pytest.raises(klient.KafkaConsumerError, match="subscribe"):
            c.poll(0.1)  # not subscribed yet
        assert c.consume_messages(0) == []  # as in the released package
        with pytest.raises(ValueError, match="count"):
            c.consume_messages(-1)
        with pytest.raises(ValueError, match="max_messages"):
            c.consume_messages(max_messages=-1)
        with pytest.raises(ValueError, match="disagree"):
            c.consume_messages(2, max_messages=3)
        with pytest.raises(klient.errors.KafkaConsumerTypeError, match="count"):
            c.consume_messages("2")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="timeout"):
            c.poll(timeout="1")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="callable"):
            KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id="g"), on_assign=3)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="ConsumerConfig"):
            KafkaConsumer(klient.ProducerConfig())  # type: ignore[arg-type]
    finally:
        c.close()


def test_use_after_close(bootstrap: str, topic: str) -> None:
    with consumer_for(bootstrap, topic) as c:
        pass
    assert c.closed and "closed" in repr(c)
    c.close()  # idempotent
    c.stop()  # harmless
    for call in (lambda: c.poll(0.1), lambda: c.consume_messages(1, 0.1), lambda: c.commit(),
                 lambda: c.subscribe([topic]), lambda: c.seek_to_offset(topic, 0), lambda: c.assignment()):
        with pytest.raises(klient.KafkaConsumerError, match="closed"):
            call()
    assert list(c.message_stream(limit=1)) == []  # a stopped consumer's stream is empty


def test_config_validation() -> None:
    with pytest.raises(TypeError, match="topics"):
        ConsumerConfig(bootstrap_servers="x", group_id="g", topics="events")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="isolation_level"):
        ConsumerConfig(bootstrap_servers="x", group_id="g", isolation_level="dirty")
    with pytest.raises((TypeError, ValueError), match="group_id"):
        ConsumerConfig(bootstrap_servers="x", group_id="")
    with pytest.raises(TypeError, match="enable_auto_commit"):
        ConsumerConfig(bootstrap_servers="x", group_id="g", enable_auto_commit=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="additional_config"):
        ConsumerConfig(bootstrap_servers="x", group_id="g", additional_config=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys"):
        ConsumerConfig(bootstrap_servers="x", group_id="g", additional_config={1: 2})  # type: ignore[dict-item]
    cfg = ConsumerConfig(bootstrap_servers="x", group_id="g", topics=("a",), client_id="me")  # type: ignore[arg-type]
    assert cfg.topics == ["a"] and cfg.to_dict()["client.id"] == "me"
    assert cfg.to_dict()["isolation.level"] == "read_committed"


def test_isolation_read_uncommitted(bootstrap: str, topic: str) -> None:
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx")))
    p.begin_transaction()
    p.produce(topic, value=b"pending")
    c = consumer_for(bootstrap, topic, isolation_level="read_uncommitted")
    try:
        m = c.poll(timeout=15)
        assert m is not None and m.value == b"pending"
    finally:
        p.abort_transaction()
        p.close()
        c.close()


def test_released_poll_and_batch_calls(bootstrap: str, topic: str) -> None:
    """poll_message / consume_messages(count) / the MessageResult of the released package."""
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    p.produce(topic, key=b"k0", value=b"v0", headers={"h": b"1"})
    for i in range(1, 6):
        p.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
    p.flush()
    p.close()
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")))
    try:
        c.subscribe([topic])
        m = None
        deadline = time.time() + 20
        while m is None and time.time() < deadline:
            m = c.poll_message(1.0)
        assert m is not None
        assert (m.topic, m.partition, m.offset, m.key, m.value, m.headers) == (topic, 0, 0, b"k0", b"v0", {"h": b"1"})
        assert m.timestamp[0] == 1 and m.timestamp[1] > 0 and (m.is_transactional, m.transaction_id) == (False, None)
        assert [x.offset for x in c.consume_messages()] == [1]
        assert [x.offset for x in c.consume_messages(count=2, timeout=10)] == [2, 3]
        assert [x.headers for x in c.consume_messages(max_messages=2, timeout=10)] == [{}, {}]
    finally:
        c.stop()


def test_messageresult_and_transactional_helpers() -> None:
    class Fake:
        def __init__(self, headers):
            self._h = headers

        def topic(self): return "t"
        def partition(self): return 1
        def offset(self): return 5
        def key(self): return b"k"
        def value(self): return None
        def timestamp(self): return (1, 99)
        def headers(self): return self._h

    plain = MessageResult.from_confluent_message(Fake(None))
    assert plain == MessageResult("t", 1, 5, b"k", None, (1, 99), {}, False, None)
    tx = MessageResult.from_confluent_message(Fake([(b"__transaction_id", b"tx-1"), ("a", b"b")]))
    assert (tx.is_transactional, tx.transaction_id) == (True, "tx-1")
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers="127.0.0.1:1", group_id="g"))
    u = KafkaConsumer(ConsumerConfig(bootstrap_servers="127.0.0.1:1", group_id="g", isolation_level="read_uncommitted"))
    assert c.reads_committed_only and not u.reads_committed_only
    msgs = [plain, tx]
    assert c.filter_transactional_messages(msgs) == msgs == u.filter_transactional_messages(msgs)
    assert c.get_transactional_messages(msgs) == [tx] and c.get_non_transactional_messages(msgs) == [plain]
    assert c.group_messages_by_transaction(msgs) == {None: [plain], "tx-1": [tx]}
    c.commit()  # before first use: nothing to do, as in the released package
    c.stop()  # never created: a no-op
    with pytest.raises(klient.errors.KafkaConsumerTypeError, match="message_handler"):
        KafkaConsumer(ConsumerConfig(bootstrap_servers="x", group_id="g"), 3)  # type: ignore[arg-type]


def test_start_consuming_with_handler(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 5)
    seen: list[int] = []

    def handler(m: MessageResult) -> None:
        seen.append(m.offset)
        if m.offset == 1:
            raise RuntimeError("logged, the loop goes on")
        if len(seen) == 5:
            c.stop()

    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")), handler)
    t = threading.Timer(30, c.stop)  # a bound if the handler never stops it
    t.start()
    try:
        c.start_consuming(topic)
    finally:
        t.cancel()
    assert seen == [0, 1, 2, 3, 4] and c.closed


async def test_astart_consuming_and_async_calls(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 6)
    seen: list[int] = []

    async def handler(m: MessageResult) -> None:
        seen.append(m.offset)
        if len(seen) == 3:
            c.stop()

    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")), message_handler=handler)
    await asyncio.wait_for(c.astart_consuming([topic]), 30)
    assert seen == [0, 1, 2] and c.closed
    # apoll_message / aconsume_messages on a new member of another group.
    c2 = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")))
    c2.subscribe([topic])
    m = None
    deadline = time.time() + 20
    while m is None and time.time() < deadline:
        m = await c2.apoll_message(1.0)
    assert m is not None and m.offset == 0
    assert [x.offset for x in await c2.aconsume_messages(count=3, timeout=10)] == [1, 2, 3]
    assert [x.offset for x in await c2.aconsume_messages(max_messages=5, timeout=2)] == [4, 5]
    # Cancelling astart_consuming ends it normally, as in the released package.
    task = asyncio.create_task(c2.astart_consuming(topic, auto_process=False))
    await asyncio.sleep(0.5)
    task.cancel()
    assert await task is None
    assert c2.closed


def test_stop_from_another_thread_during_poll(bootstrap: str, topic: str) -> None:
    c = consumer_for(bootstrap, topic)
    threading.Timer(0.5, c.stop).start()
    t0 = time.time()
    assert c.poll_message(20) is None  # returns at once and closes on its way out
    assert time.time() - t0 < 10 and c.closed
    with pytest.raises(klient.KafkaConsumerError, match="closed"):
        c.poll_message(0.1)


def test_from_env_config_released_order(bootstrap: str, topic: str, tmp_path, monkeypatch) -> None:
    import json

    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"dev": {"common": {"bootstrap.servers": bootstrap},
                                       "consumer": {"group.id": "file-group"}},
                               "dirty": {"consumer": {"bootstrap.servers": bootstrap, "group.id": "g",
                                                      "isolation.level": "read_committed"}},
                               "nogroup": {"consumer": {"bootstrap.servers": bootstrap}}}))
    handler = lambda m: None  # noqa: E731
    c = KafkaConsumer.from_env_config("dev", str(cfg))
    assert (c.config.group_id, c.config.isolation_level, c.reads_committed_only) == ("file-group", "read_uncommitted", False)
    c2 = KafkaConsumer.from_env_config("dev", str(cfg), "arg-group", "read_committed", handler, topics=[topic])
    assert (c2.config.group_id, c2.reads_committed_only, c2.message_handler, c2.subscription) == (
        "arg-group", True, handler, [topic])
    c2.stop()
    # The file's isolation.level wins over the default (it is an additional property).
    c3 = KafkaConsumer.from_env_config("dirty", str(cfg))
    assert c3.config.to_dict()["isolation.level"] == "read_committed"
    with pytest.raises(ValueError, match="group_id"):
        KafkaConsumer.from_env_config("nogroup", str(cfg))
    with pytest.raises(TypeError, match="list"):
        KafkaConsumer.from_env_config("dev", str(cfg), topics=topic)  # type: ignore[arg-type]


def test_on_revoke_runs_at_stop(bootstrap: str, topic: str) -> None:
    """Like the released package (librdkafka's close), leaving the group calls on_revoke
    while the consumer can still commit; a raising or re-entrant callback does not stop
    the close."""
    seed(bootstrap, topic, 2)
    events: list[tuple[str, list[int]]] = []

    def on_revoke(consumer: KafkaConsumer, parts: list[TopicPartition]) -> None:
        events.append(("revoke", [tp.partition for tp in parts]))
        consumer.commit()
        consumer.stop()  # re-entrant: ignored while closing
        raise RuntimeError("logged")

    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic]), on_revoke=on_revoke)
    assert c.consume_messages(2, timeout=20)
    c.stop()
    assert events == [("revoke", [0])] and c.closed


def test_assign_positions_in_on_assign(bootstrap: str, topic: str) -> None:
    """The confluent-kafka idiom of released callbacks: set offsets, consumer.assign()."""
    seed(bootstrap, topic, 6)

    def on_assign(consumer: KafkaConsumer, parts: list[TopicPartition]) -> None:
        for tp in parts:
            tp.offset = -2 if tp.partition else 3  # OFFSET_BEGINNING elsewhere
        consumer.assign(parts)

    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")), on_assign=on_assign)
    with pytest.raises(klient.KafkaConsumerError, match="subscribe"):
        c.assign([TopicPartition(topic, 0, 1)])
    c.subscribe([topic])
    try:
        assert [m.offset for m in c.consume_messages(3, timeout=20)] == [3, 4, 5]
    finally:
        c.stop()


def test_large_messages_are_read_in_place_and_arrive_whole(bootstrap: str, topic: str) -> None:
    # Batches of large messages are parsed out of the library's memory (each field
    # copied once): every field must still arrive as bytes/str, nulls as None.
    big = bytes(range(256)) * 16  # 4 KB
    sent = [
        {"key": b"k" * 3000, "value": big, "headers": {"h": b"x" * 2500, "none": None}},
        {"key": None, "value": big + b"tail"},
        {"key": "kk", "value": None, "headers": [("ü", b"v")]},
        {"key": b"", "value": big * 2},
    ]
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    assert all(r.status == "success" for r in p.produce_batch(sent, topic=topic))
    p.close()
    c = consumer_for(bootstrap, topic)
    try:
        got: list[MessageResult] = []
        deadline = time.time() + 20
        while len(got) < len(sent) and time.time() < deadline:
            got += c.consume_messages(max_messages=len(sent) - len(got), timeout=1.0)
    finally:
        c.close()
    assert [(m.key, m.value, m.headers) for m in got] == [
        (b"k" * 3000, big, {"h": b"x" * 2500, "none": None}),
        (None, big + b"tail", {}),
        (b"kk", None, {"ü": b"v"}),
        (b"", big * 2, {}),
    ]
    assert all(type(m.value) is bytes for m in got if m.value is not None)
    assert all(type(m.key) is bytes and type(m.topic) is str for m in got if m.key is not None)
    assert type(got[0].headers["h"]) is bytes


def test_large_messages_cross_in_slices_of_about_a_megabyte(bootstrap: str, topic: str, monkeypatch) -> None:
    # A consumer that has seen 10 KB messages takes at most ~1 MB per crossing, and a
    # consume_messages asking for more takes what else is buffered in further crossings
    # without waiting (timeout=0 too), in order.
    from klient import _consumer_base

    asked: list[int] = []
    real = _consumer_base._consume_packed
    monkeypatch.setattr(_consumer_base, "_consume_packed", lambda h, n, *a: asked.append(n) or real(h, n, *a))
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    assert all(r.status == "success" for r in p.produce_batch([b"%05d" % i + b"x" * 10235 for i in range(400)], topic=topic))
    p.close()
    c = consumer_for(bootstrap, topic)
    try:
        got = c.consume_messages(max_messages=10, timeout=20)
        assert len(got) == 10
        time.sleep(2)  # the prefetch fills its 2 MB (~200 messages)
        del asked[:]
        got += c.consume_messages(max_messages=390, timeout=0)
        assert len(got) > 10 + 103 and max(asked) <= 103 and len(asked) >= 2, (len(got), asked)
        deadline = time.time() + 20
        while len(got) < 400 and time.time() < deadline:
            got += c.consume_messages(max_messages=400 - len(got), timeout=1.0)
    finally:
        c.close()
    assert [m.offset for m in got] == list(range(400))
    assert all(m.value[:5] == b"%05d" % m.offset and len(m.value) == 10240 for m in got)


def test_cooperative_rebalance_moves_one_partition(bootstrap: str, make_topic) -> None:
    """partition.assignment.strategy=cooperative-sticky (through additional_config): the
    second member takes one of two partitions from the first, which is revoked only that
    one (an incremental revoke) and keeps reading the other; messages produced after the
    move go to the member that owns their partition."""
    topic = make_topic(2)
    prod = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    prod.produce_batch([{"topic": topic, "value": f"v{i}", "partition": i % 2} for i in range(20)])
    # Short heartbeats: the group settles in seconds (with the released 10 s interval a
    # member closed while the other still rejoins holds the group until its session
    # ends, as under confluent-kafka).
    kw = {"bootstrap_servers": bootstrap, "group_id": uid("g-coop"), "heartbeat_interval_ms": 500,
          "session_timeout_ms": 6000, "additional_config": {"partition.assignment.strategy": "cooperative-sticky"}}
    seen: list[tuple[str, list[TopicPartition]]] = []
    c = KafkaConsumer(
        ConsumerConfig(**kw),
        on_assign=lambda consumer, parts: seen.append(("assign", parts)),
        on_revoke=lambda consumer, parts: seen.append(("revoke", parts)),
    )
    c2 = None
    try:
        c.subscribe([topic])
        first: set[bytes] = set()
        deadline = time.time() + 30
        while len(first) < 20 and time.time() < deadline:
            first.update(m.value for m in c.consume_messages(10, timeout=0.5))
        assert first == {f"v{i}".encode() for i in range(20)}
        c2 = KafkaConsumer(ConsumerConfig(topics=[topic], **kw))
        deadline = time.time() + 40
        while not any(k == "revoke" for k, _ in seen) and time.time() < deadline:
            c.consume_messages(10, timeout=0.2)
            c2.consume_messages(10, timeout=0.2)
        revokes = [parts for k, parts in seen if k == "revoke"]
        assert seen[0][0] == "assign" and len(seen[0][1]) == 2
        assert revokes and len(revokes[0]) == 1, seen  # incremental: only the partition that moved
        moved = revokes[0][0].partition
        prod.produce_batch([{"topic": topic, "value": f"w{i}", "partition": i % 2} for i in range(20)])
        got: dict[str, set[bytes]] = {"c": set(), "c2": set()}
        deadline = time.time() + 40
        while len(got["c"]) + len(got["c2"]) < 20 and time.time() < deadline:
            got["c"].update(m.value for m in c.consume_messages(10, timeout=0.2))
            got["c2"].update(m.value for m in c2.consume_messages(10, timeout=0.2))
        assert got["c2"] == {f"w{i}".encode() for i in range(20) if i % 2 == moved}
        assert got["c"] == {f"w{i}".encode() for i in range(20) if i % 2 != moved}
    finally:
        prod.close()
        if c2 is not None:
            c2.close()
        c.close()
