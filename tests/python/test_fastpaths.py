"""The fast paths: the produce(flush=False) buffer, packed produce_batch, batched
aproduce, packed consume. Each test checks what arrives at the broker, in order."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time

import pytest

import klient
from klient.producer import KafkaProducer, ProducerConfig

from conftest import consumer_for, read_all, uid


def test_buffered_produce_keeps_order_across_paths(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    # Buffered messages, then a message that needs the struct path (headers), then a
    # sync produce, then more buffered ones with null keys and values: one order.
    for i in range(5):
        assert producer.produce(topic, key=f"k{i}", value=f"v{i}", flush=False).status == "queued"
    assert producer.pending >= producer.stats()["buffered"]  # buffered messages count as pending
    producer.produce(topic, value=b"h", headers={"x": b"1"}, flush=False)
    r = producer.produce(topic, value=b"sync", flush=True)
    assert r.status == "success" and r.offset == 6  # the buffer went first
    producer.produce(topic, flush=False)  # null key, null value
    producer.produce(topic, key=b"", value=None, flush=False)  # mixed nulls: struct path
    producer.produce(topic, value=b"p0", partition=0, flush=False)
    producer.produce(topic, value="last", partition=-1, flush=False)
    assert producer.flush(20) == 0
    got = read_all(bootstrap, topic, 11)
    assert [(m.key, m.value) for m in got] == [
        *[(f"k{i}".encode(), f"v{i}".encode()) for i in range(5)],
        (None, b"h"), (None, b"sync"), (None, None), (b"", None), (None, b"p0"), (None, b"last"),
    ]
    assert got[5].headers == {"x": b"1"}
    assert producer.delivery_failures == 0
    st = producer.stats()
    assert st["failed"] == 0 and st["buffered"] == 0 and st["delivered"] >= 10


def test_buffer_is_sent_by_the_linger_timer(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    producer.produce(topic, value=b"lonely", flush=False)
    deadline = time.monotonic() + 10
    while producer.stats()["buffered"] and time.monotonic() < deadline:
        time.sleep(0.005)
    assert producer.stats()["buffered"] == 0  # no flush/poll call needed
    assert [m.value for m in read_all(bootstrap, topic, 1)] == [b"lonely"]


def test_buffer_switches_topics_and_sends_full_buffers(producer: KafkaProducer, make_topic, bootstrap: str) -> None:
    t1, t2 = make_topic(), make_topic()
    for i in range(2500):  # more than one full buffer
        producer.produce(t1, value=b"%d" % i, flush=False)
    producer.produce(t2, key=b"k", value=b"x", flush=False)
    producer.produce(t1, value=b"end", flush=False)
    assert producer.poll(0) >= 0  # poll sends the buffer too
    producer.flush(20)
    got = read_all(bootstrap, t1, 2501)
    assert [m.value for m in got] == [b"%d" % i for i in range(2500)] + [b"end"]
    assert [(m.key, m.value) for m in read_all(bootstrap, t2, 1)] == [(b"k", b"x")]


def test_close_and_exit_send_the_buffer(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    p.produce(topic, value=b"before-close", flush=False)
    p.close()
    # A process that exits right after produce(flush=False), without flush or close:
    # klient's atexit hook hands the buffer to the library; the library-level flush
    # registered before `import klient` (so it runs after that hook) only waits.
    code = (
        "import atexit; held = [];"
        "atexit.register(lambda: klient._native.lib.klient_producer_flush(held[0]._h, 20000, None));"
        "import klient;"
        f"p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers={bootstrap!r})); held.append(p);"
        f"[p.produce({topic!r}, value=b'exit-%d' % i, flush=False) for i in range(3)]"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    got = read_all(bootstrap, topic, 4)
    assert [m.value for m in got] == [b"before-close", b"exit-0", b"exit-1", b"exit-2"]


def test_linger_zero_sends_without_waiting(bootstrap: str, topic: str) -> None:
    # linger.ms 0 (the released ProducerConfig default) still buffers, but the sender
    # thread hands over what gathered at once instead of waiting.
    with KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, linger_ms=0)) as p:
        assert p._linger == 0
        p.produce(topic, value=b"first", flush=True)
        p.produce(topic, value=b"direct", flush=False)
        deadline = time.monotonic() + 10
        while p.stats()["buffered"] and time.monotonic() < deadline:
            time.sleep(0.001)
        assert p.stats()["buffered"] == 0
        p.flush(10)
    with KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config={"queue.buffering.max.ms": "3"})) as p2:
        p2.produce(topic, value=b"buffered", flush=False)
    assert [m.value for m in read_all(bootstrap, topic, 3)] == [b"first", b"direct", b"buffered"]


def test_untracked_failures_are_counted(bootstrap: str, topic: str, caplog: pytest.LogCaptureFixture) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config={"message.max.bytes": 1000}))
    try:
        with caplog.at_level(logging.WARNING, logger="klient"):
            p.produce(topic, value=b"ok-1", flush=False)
            p.produce(topic, value=b"x" * 5000, flush=False)  # refused when sent
            p.produce(topic, value=b"ok-2", flush=False)
            assert p.flush(20) == 0
        assert p.delivery_failures == 1
        assert "delivery_failed" in caplog.text
        with pytest.raises(klient.KafkaProducerError, match="message 1 of 3"):
            p.produce_batch([b"a", b"y" * 5000, b"c"], topic=topic, flush=False)
        p.flush(20)
    finally:
        p.close()
    assert [m.value for m in read_all(bootstrap, topic, 3)] == [b"ok-1", b"ok-2", b"a"]


def test_produce_batch_packed(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    res = producer.produce_batch([(b"k1", b"v1"), ("k2", "v2")], topic=topic)
    assert [(r.status, r.offset) for r in res] == [("success", 0), ("success", 1)]
    q = producer.produce_batch((v for v in [b"a", "b"]), topic=topic, flush=False)  # an iterator
    assert [r.status for r in q] == ["queued", "queued"] and q[0].topic == topic
    producer.produce_batch([None, None], topic=topic, flush=False)  # all null values
    producer.produce_batch([(None, b"nk")], topic=topic, flush=False)  # all null keys
    mixed = producer.produce_batch([(b"k", b"1"), (None, b"2"), (b"k", None)], topic=topic)  # struct path
    assert [r.offset for r in mixed] == [7, 8, 9]
    producer.flush(20)
    got = read_all(bootstrap, topic, 10)
    assert [(m.key, m.value) for m in got] == [
        (b"k1", b"v1"), (b"k2", b"v2"), (None, b"a"), (None, b"b"), (None, None), (None, None),
        (None, b"nk"), (b"k", b"1"), (None, b"2"), (b"k", None),
    ]
    with pytest.raises(TypeError, match="value must be bytes"):
        producer.produce_batch([(b"k", 5)], topic=topic)


async def test_aproduce_batched(producer: KafkaProducer, make_topic, bootstrap: str) -> None:
    t1, t2 = make_topic(), make_topic()
    coros = [producer.aproduce(t1, key=None if i % 3 == 0 else f"k{i}", value=f"v{i}", flush=True) for i in range(30)]
    coros += [producer.aproduce(t2, value=None, flush=True), producer.aproduce(t1, value=b"h", headers=[("a", b"b")], flush=True)]
    res = await asyncio.gather(*coros)
    assert all(r.status == "success" for r in res)
    assert sorted(r.offset for r in res if r.topic == t1) == list(range(31))
    got = read_all(bootstrap, t1, 31)
    assert [m.value for m in got[:30]] == [f"v{i}".encode() for i in range(30)]
    assert got[3].key is None and got[4].key == b"k4"
    # A rejected message fails its own await only.
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config={"message.max.bytes": 1000}))
    try:
        ok, bad = await asyncio.gather(p.aproduce(t2, value=b"fine", flush=True), p.aproduce(t2, value=b"z" * 5000, flush=True), return_exceptions=True)
        assert ok.status == "success"
        assert isinstance(bad, klient.KafkaProducerError) or bad.status == "error"
    finally:
        p.close()


def test_transaction_buffer_commit_and_abort(txn_producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    with pytest.raises(klient.KafkaTransactionError):
        txn_producer.produce(topic, value=b"outside", flush=False)  # no buffering outside a txn
    with txn_producer.transaction():
        for i in range(3):
            txn_producer.produce(topic, value=b"c%d" % i, flush=False)
    txn_producer.begin_transaction()
    txn_producer.produce(topic, value=b"dropped", flush=False)
    txn_producer.abort_transaction()
    assert txn_producer.pending == 0
    got = read_all(bootstrap, topic, 3, timeout=10)
    assert [m.value for m in got] == [b"c0", b"c1", b"c2"]


def test_transaction_commit_fails_when_a_buffered_message_is_refused(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("txbig"), additional_config={"message.max.bytes": 1000}))
    try:
        with pytest.raises(klient.KafkaTransactionError, match="abort") as ei:
            with p.transaction():
                p.produce(topic, value=b"good", flush=False)
                p.produce(topic, value=b"x" * 5000, flush=False)
        assert ei.value.txn_requires_abort
        assert not p.in_transaction
    finally:
        p.close()
    c = consumer_for(bootstrap, topic)
    try:
        assert c.consume_messages(10, timeout=3) == []
    finally:
        c.close()


async def test_atransaction_with_buffered_produce(txn_producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    async with txn_producer.atransaction():
        txn_producer.produce(topic, value=b"q", flush=False)
        await txn_producer.aproduce(topic, value=b"a")
    assert [m.value for m in read_all(bootstrap, topic, 2)] == [b"q", b"a"]


def test_packed_consume_fields_and_prefetch_default(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    cfg = klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id="g")
    assert cfg.to_dict()["klient.prefetch.messages"] == 2000
    over = klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id="g", additional_config={"klient.prefetch.messages": 50})
    assert over.to_dict()["klient.prefetch.messages"] == 50
    producer.produce(topic, key="ключ", value=b"\x00\xff", headers=[("h1", b""), ("h2", None), ("h3", "v")], timestamp=1_700_000_000_123)
    producer.produce(topic, key=b"", value=None)
    c = consumer_for(bootstrap, topic, additional_config={"klient.prefetch.messages": 1})
    try:
        got = c.consume_messages(2, timeout=20)
    finally:
        c.close()
    m = got[0]
    assert m == klient.MessageResult(topic, 0, 0, "ключ".encode(), b"\x00\xff", (1, 1_700_000_000_123), {"h1": b"", "h2": None, "h3": b"v"})
    assert repr(m).startswith(f"MessageResult(topic={topic!r}, partition=0, offset=0, key=")
    assert (got[1].key, got[1].value, got[1].headers, got[1].offset) == (b"", None, {}, 1)
    bad = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id="g", additional_config={"klient.prefetch.messages": 0}))
    with pytest.raises(klient.KlientConfigError):
        bad.subscribe([topic])  # the consumer is created on first use, as in the released package


@pytest.mark.parametrize("read", ["consume_messages", "message_stream"])
def test_consumed_values_survive_reused_fetch_memory(read: str, producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    """consume_messages copies every batch out of the core and gives its memory back for
    later fetches (Consumer.Recycle). message_stream takes deferred batches: when a
    stream ends mid-batch, what it yielded is given back (Consumer.SettleCopied) and the
    rest goes back to the buffer, to be read again; here streams of 37 messages. With a
    1 MB prefetch, 8 MB of 2 KB values take many fetches into reused buffers, and every
    value (kept across all the batches) must still read as produced, in order, none
    twice."""

    def value(i: int) -> bytes:
        return b"%08d" % i + bytes([97 + i % 26]) * 2040

    n = 4000
    for start in range(0, n, 500):
        producer.produce_batch([value(i) for i in range(start, start + 500)], topic=topic, flush=False)
    producer.flush()
    c = consumer_for(bootstrap, topic, additional_config={"klient.prefetch.kbytes": 1024})
    got: list[klient.MessageResult] = []
    try:
        deadline = time.monotonic() + 60
        while len(got) < n and time.monotonic() < deadline:
            if read == "consume_messages":
                got.extend(c.consume_messages(300, timeout=1.0))
            else:
                got.extend(c.message_stream(timeout=1.0, limit=min(37, n - len(got))))
    finally:
        c.close()
    assert len(got) == n
    bad = [m.offset for i, m in enumerate(got) if m.offset != i or m.value != value(i)]
    assert bad == []
