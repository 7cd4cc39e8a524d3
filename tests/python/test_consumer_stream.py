"""message_stream / amessage_stream take batches from the library but hand out only
what they yield: whatever the application does after any message (break, commit, poll,
seek, another stream, close, a rebalance), the messages it was not given are neither
committed nor skipped."""

from __future__ import annotations

import asyncio
import gc
import time

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
        # what it yielded.
        c.commit()
        assert [(tp.partition, tp.offset) for tp in c.committed()] == [(0, 5)]
        # The stream goes on where it was: the commit did not skip or repeat anything.
        assert [(await stream.__anext__()).offset for _ in range(3)] == [5, 6, 7]
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
        # a's next library call settles the stream's batch, after the rebalance.
        owned = {tp.partition for tp in a.assignment()}
        assert len(owned) == 1
        stream.close()
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
