"""message_stream / amessage_stream take batches from the library but hand out only
what they yield: whatever the application does after any message (break, commit, poll,
seek, another stream, close, a rebalance), the messages it was not given are neither
committed nor skipped."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

import klient
from klient.consumer import ConsumerConfig, KafkaConsumer

from conftest import consumer_for, uid


def seed(bootstrap: str, topic: str, n: int, partition: int | None = None) -> None:
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    res = p.produce_batch([{"value": f"v{i}", "partition": partition} for i in range(n)], topic=topic)
    assert all(r.status == "success" for r in res)
    p.close()


def started(c: KafkaConsumer) -> int:
    """Poll the first message (offset 0) and give the library a moment to prefetch the
    rest, so the stream's next take is a whole batch, not one message."""
    m = c.poll(timeout=20)
    assert m is not None and m.offset == 0
    time.sleep(1.0)
    return m.offset


def offsets(msgs) -> list[int]:
    return [m.offset for m in msgs]


async def test_astream_break_then_consume_returns_exactly_the_rest(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 30)
    for max_batch in (1, 500):  # max_batch=500 used to hand out its whole batch at once
        c = consumer_for(bootstrap, topic)
        try:
            started(c)
            got = []
            async for m in c.amessage_stream(timeout=1.0, max_batch=max_batch):
                got.append(m.offset)
                if len(got) == 3:
                    break
            assert got == [1, 2, 3]
            rest = c.consume_messages(100, timeout=3)
            assert offsets(rest) == list(range(4, 30)), f"max_batch={max_batch}"
        finally:
            c.close()


async def test_commit_after_break_commits_only_what_was_yielded(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 30)
    group = uid("g")
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic], enable_auto_commit=False))
    try:
        started(c)
        stream = c.amessage_stream(timeout=1.0)
        assert [(await stream.__anext__()).offset for _ in range(4)] == [1, 2, 3, 4]
        # The stream is suspended mid-batch (not closed): the commit still sees exactly
        # what it yielded, and the stream keeps its batch (no take again per commit).
        tok = c._deferred
        c.commit()
        assert c._deferred is tok
        assert [(tp.partition, tp.offset) for tp in c.committed()] == [(0, 5)]
        assert [(await stream.__anext__()).offset for _ in range(2)] == [5, 6]
        c.commit(asynchronous=True)
        deadline = time.time() + 5
        while time.time() < deadline and c.committed()[0].offset != 7:
            await asyncio.sleep(0.1)
        assert [(tp.partition, tp.offset) for tp in c.committed()] == [(0, 7)]
        assert c._deferred is tok  # committed() reads: the stream keeps its batch too
        assert [(await stream.__anext__()).offset for _ in range(1)] == [7]
        await stream.aclose()
        c.commit()
        assert [(tp.partition, tp.offset) for tp in c.committed()] == [(0, 8)]
    finally:
        c.close()
    # A new member of the group starts after the last yielded message.
    c2 = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))
    try:
        assert offsets(c2.consume_messages(100, timeout=5)) == list(range(8, 30))
    finally:
        c2.close()


async def test_stream_closed_by_aclose_or_garbage_collection(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 20)
    c = consumer_for(bootstrap, topic)
    try:
        started(c)
        stream = c.amessage_stream()
        assert [(await stream.__anext__()).offset for _ in range(2)] == [1, 2]
        await stream.aclose()
        assert c._deferred is None  # aclose settled the batch itself
        stream = c.amessage_stream()
        assert [(await stream.__anext__()).offset for _ in range(2)] == [3, 4]
        del stream  # the loop's asyncgen finalizer closes it soon after
        gc.collect()
        for _ in range(50):
            if c._deferred is None:
                break
            await asyncio.sleep(0.01)
        assert c._deferred is None
        assert offsets(await c.aconsume_messages(100, timeout=3)) == list(range(5, 20))
    finally:
        c.close()


def test_sync_stream_interleaved_with_poll_and_another_stream(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 20)
    c = consumer_for(bootstrap, topic)
    try:
        started(c)
        a = c.message_stream(timeout=1.0)
        assert [next(a).offset for _ in range(2)] == [1, 2]
        assert c.poll(timeout=5).offset == 3  # type: ignore[union-attr]
        b = c.message_stream(timeout=1.0)
        assert next(b).offset == 4
        # a resumes after everything handed out meanwhile, not from its old batch.
        assert [next(a).offset for _ in range(2)] == [5, 6]
        assert next(b).offset == 7
        a.close()
        b.close()
        assert offsets(c.consume_messages(100, timeout=3)) == list(range(8, 20))
    finally:
        c.close()


async def test_seek_during_astream(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 20)
    c = consumer_for(bootstrap, topic)
    try:
        started(c)
        got = []
        async for m in c.amessage_stream(timeout=1.0, limit=10):
            got.append(m.offset)
            if len(got) == 5:
                c.seek_to_offset(topic, 2)
        # After the seek the stream continues from offset 2, not from its batch.
        assert got == [1, 2, 3, 4, 5, 2, 3, 4, 5, 6]
    finally:
        c.close()


async def test_close_while_astream_is_suspended(bootstrap: str, topic: str) -> None:
    seed(bootstrap, topic, 20)
    group = uid("g")
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))  # auto-commit
    started(c)
    stream = c.amessage_stream()
    assert [(await stream.__anext__()).offset for _ in range(3)] == [1, 2, 3]
    c.close()  # commits on close what was yielded (auto-commit), nothing more
    assert [m async for m in stream] == []  # the stream ends: the consumer is closed
    c2 = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))
    try:
        assert offsets(c2.consume_messages(100, timeout=5)) == list(range(4, 20))
    finally:
        c2.close()


def test_rebalance_while_a_stream_holds_a_batch(bootstrap: str, make_topic) -> None:
    """Messages of a partition revoked between the stream's take and its settle are not
    put back (this member no longer owns them), and nothing is lost: the group reads
    every message."""
    topic = make_topic(2)
    seed(bootstrap, topic, 20, partition=0)
    seed(bootstrap, topic, 20, partition=1)
    group = uid("g")
    a = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[topic]))
    b = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group))
    try:
        seen = set()
        first = a.poll(timeout=20)
        assert first is not None
        seen.add((first.partition, first.offset))
        time.sleep(1.0)  # prefetch both partitions
        stream = a.message_stream(timeout=1.0)
        for _ in range(3):
            m = next(stream)
            seen.add((m.partition, m.offset))
        b.subscribe([topic])
        deadline = time.time() + 60
        while not b.assignment() and time.time() < deadline:
            for m in b.consume_messages(100, timeout=0.2):
                seen.add((m.partition, m.offset))
        assert b.assignment(), "the second member got no partition"
        owned = {tp.partition for tp in a.assignment()}
        assert len(owned) == 1
        stream.close()  # ends the stream's batch, after the rebalance
        deadline = time.time() + 30
        while len(seen) < 40 and time.time() < deadline:
            for m in a.consume_messages(100, timeout=0.2):
                assert m.partition in owned, f"a got {m.partition}@{m.offset} of a partition it no longer owns"
                seen.add((m.partition, m.offset))
            for m in b.consume_messages(100, timeout=0.2):
                seen.add((m.partition, m.offset))
        assert seen == {(p, o) for p in (0, 1) for o in range(20)}
    finally:
        b.close()
        a.close()


def test_deferred_abi_refuses_misuse(bootstrap: str, topic: str) -> None:
    """klient_consumer_consume_deferred / klient_consumer_settle called directly (as a
    C program would): bad arguments and a consume while a batch is outstanding fail
    with a clear error instead of losing or repeating messages."""
    from ctypes import POINTER, byref, c_void_p

    from klient import _native, _native_types
    from klient._native import lib

    seed(bootstrap, topic, 10)
    c = consumer_for(bootstrap, topic)
    try:
        started(c)
        h = c._handle("test")

        def take(n: int) -> int:
            batch = POINTER(_native.PackedBatch)()
            _native.call(lib.klient_consumer_consume_deferred, h, n, 5000, byref(batch), family="consumer")
            count = batch.contents.count
            lib.klient_packed_batch_destroy(batch)
            return count

        def settle(n: int, flags: int = 0, handle=h) -> None:
            _native.call(lib.klient_consumer_settle, handle, n, flags, family="consumer")

        with pytest.raises(klient.KlientError, match="max_messages"):
            take(0)
        with pytest.raises(klient.KlientError, match="batch_out is NULL"):
            _native.call(lib.klient_consumer_consume_deferred, h, 1, 0, None, family="consumer")
        with pytest.raises(klient.KlientError, match="handed"):
            settle(1)  # nothing outstanding
        settle(0)  # nothing outstanding: a no-op
        with pytest.raises(klient.KlientError):
            settle(0, handle=c_void_p(12345))  # not a consumer
        assert take(4) == 4
        with pytest.raises(klient.KlientError, match="outstanding"):
            take(1)
        with pytest.raises(klient.KlientError, match="outstanding"):
            _native.call(lib.klient_consumer_consume_packed, h, 1, 0, byref(POINTER(_native.PackedBatch)()), family="consumer")
        with pytest.raises(klient.KlientError, match="handed"):
            settle(5)
        with pytest.raises(klient.KlientError, match="flags"):
            settle(0, 2)
        settle(1, _native_types.SETTLE_KEEP)  # offset 1 handed out, the batch still outstanding
        with pytest.raises(klient.KlientError, match="outstanding"):
            take(1)
        with pytest.raises(klient.KlientError, match="already settled"):
            settle(0)
        settle(1)  # ends the batch: 2, 3 and 4 back in front
        assert offsets(c.consume_messages(100, timeout=3)) == list(range(2, 10))
    finally:
        c.close()


def test_stream_size_follows_the_loops_pace() -> None:
    from klient._consumer_base import _STREAM_HOLD, _stream_size

    assert _stream_size(500, 1, 1e-6) == 500  # a fast loop: whole batches
    assert _stream_size(500, 500, 0.01) == 500
    assert _stream_size(500, 10, 10 * _STREAM_HOLD) == 1  # one message per HOLD seconds
    assert _stream_size(500, 100, 1.0) == int(100 * _STREAM_HOLD)
    assert _stream_size(2000, 2000, 0.001) == 2000  # max_batch above 500 is the cap


def test_slow_stream_keeps_auto_commit_current(bootstrap: str, topic: str) -> None:
    """A loop that takes its time per message gets small batches, so what it was given
    is stored, and auto-committed, soon after (not only when a 500-message batch ends)."""
    seed(bootstrap, topic, 20)
    c = consumer_for(bootstrap, topic, additional_config={"auto.commit.interval.ms": 100})
    try:
        started(c)
        stream = c.message_stream(timeout=1.0)
        for _ in range(6):
            next(stream)
            time.sleep(0.3)  # the application's work
        # 7 messages were yielded; the batches of a slow loop are settled within a message
        # or two, and auto-committed every 0.1 s.
        assert c.committed()[0].offset >= 4
        stream.close()
    finally:
        c.close()


def test_send_offsets_in_the_middle_of_a_stream(bootstrap: str, make_topic) -> None:
    """The consume-transform-produce loop over a stream: each transaction commits what
    the stream yielded so far, and the stream keeps its batch."""
    src, dst = make_topic(), make_topic()
    seed(bootstrap, src, 10)
    group = uid("eos")
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[src], enable_auto_commit=False))
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx")))
    try:
        started(c)
        stream = c.message_stream(timeout=1.0)
        for want in (2, 3):
            m = next(stream)
            assert m.offset == want - 1
            tok = c._deferred
            with p.transaction():
                p.produce(dst, value=m.value, flush=False)
                p.send_offsets_to_transaction(c)
            assert c._deferred is tok
            assert [(tp.partition, tp.offset) for tp in c.committed()] == [(0, want)]
        stream.close()
    finally:
        p.close()
        c.close()
