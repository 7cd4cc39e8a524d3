"""Transactions: commit/abort, context managers, misuse, metrics shared with the core."""

from __future__ import annotations

import asyncio

import pytest

import klient
from klient import metrics
from klient.producer import KafkaProducer, ProducerConfig, TransactionResult

from conftest import read_all, uid


def test_commit_and_abort_visibility(txn_producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    before = metrics.get("producer.tx.begin")
    r = txn_producer.begin_transaction()
    assert isinstance(r, TransactionResult) and r.success and r.error is None
    assert r.transaction_id == txn_producer.transactional_id
    assert txn_producer.in_transaction
    txn_producer.produce(topic, key=b"k1", value=b"committed", flush=False)
    c = txn_producer.commit_transaction()
    assert c.success and c.duration_ms is not None and c.duration_ms >= 0
    assert not txn_producer.in_transaction
    txn_producer.begin_transaction()
    txn_producer.produce(topic, value=b"aborted", flush=True)
    a = txn_producer.abort_transaction()
    assert a.success and a.operation == "abort" and c.operation == "commit" and r.operation == "begin"
    # The core's counter, read through klient.metrics: one registry per process.
    assert metrics.get("producer.tx.begin") == before + 2
    assert metrics.get("producer.tx.commit") >= 1 and metrics.get("producer.tx.abort") >= 1
    got = read_all(bootstrap, topic, 2, timeout=6)
    assert [m.value for m in got] == [b"committed"]
    dirty = read_all(bootstrap, topic, 2, timeout=6, isolation_level="read_uncommitted")
    assert sorted(m.value for m in dirty) == [b"aborted", b"committed"]


def test_transaction_context_manager(txn_producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    with txn_producer.transaction():  # the spec's example
        txn_producer.produce(topic, key=b"k1", value=b"payload-1")
        txn_producer.produce(topic, key=b"k2", value=b"payload-2")
    with pytest.raises(RuntimeError, match="boom"):
        with txn_producer.transaction():
            txn_producer.produce(topic, value=b"never")
            raise RuntimeError("boom")
    assert not txn_producer.in_transaction
    got = read_all(bootstrap, topic, 3, timeout=6)
    assert [m.value for m in got] == [b"payload-1", b"payload-2"]


async def test_atransaction(txn_producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    async with txn_producer.atransaction():
        await txn_producer.aproduce(topic, key=b"k3", value=b"async-1")
        txn_producer.produce(topic, value=b"queued-in-tx", flush=False)
    with pytest.raises(ValueError):
        async with txn_producer.atransaction():
            await txn_producer.aproduce(topic, value=b"async-aborted")
            raise ValueError("abort me")
    assert not txn_producer.in_transaction
    got = await asyncio.get_running_loop().run_in_executor(None, lambda: read_all(bootstrap, topic, 3, timeout=6))
    assert [m.value for m in got] == [b"async-1", b"queued-in-tx"]


def test_transaction_misuse(producer: KafkaProducer, txn_producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(klient.KafkaTransactionError, match="transactional_id"):
        producer.begin_transaction()
    with pytest.raises(klient.KafkaTransactionError, match="transactional_id"):
        with producer.transaction():
            pass
    with pytest.raises(klient.KafkaTransactionError, match="transactional_id"):
        asyncio.run(_atx(producer))
    with pytest.raises(klient.KafkaTransactionError):
        txn_producer.commit_transaction()  # none open
    with pytest.raises(klient.KafkaTransactionError):
        txn_producer.abort_transaction()
    txn_producer.begin_transaction()
    with pytest.raises(klient.KafkaTransactionError, match="already"):
        txn_producer.begin_transaction()
    txn_producer.abort_transaction()


async def _atx(p: KafkaProducer) -> None:
    async with p.atransaction():
        pass


def test_close_in_transaction_aborts(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx")))
    p.begin_transaction()
    p.produce(topic, value=b"lost")
    p.close()
    assert p.in_transaction is False
    with pytest.raises(klient.KafkaTransactionError, match="No active transaction"):
        p.commit_transaction()
    with pytest.raises(klient.KafkaTransactionError, match="No active transaction"):
        p.abort_transaction()
    with p.transaction() as tx:  # a new client, as in the released package
        assert tx.result.success and tx.in_transaction
    p.close()
    assert read_all(bootstrap, topic, 1, timeout=4) == []


def test_fenced_producer(bootstrap: str, topic: str) -> None:
    tid = uid("fence")
    old = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=tid))
    new = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=tid))
    try:
        old.init_transactions()
        new.init_transactions()  # fences `old`
        with pytest.raises((klient.KafkaProducerFencedError, klient.KafkaProducerFatalError)) as ei:
            old.begin_transaction()
            old.produce(topic, value=b"zombie")
            old.commit_transaction()
        assert isinstance(ei.value, klient.KafkaProducerError)
        with new.transaction():
            new.produce(topic, value=b"live")
    finally:
        old.close()
        new.close()
    assert [m.value for m in read_all(bootstrap, topic, 2, timeout=5)] == [b"live"]


def test_send_offsets_to_transaction(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    seed = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    seed.produce_batch([b"1", b"2", b"3"], topic=src)
    seed.close()
    group = uid("eos")
    cons = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, topics=[src], enable_auto_commit=False))
    prod = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx")))
    try:
        msgs = cons.consume_messages(3, timeout=15)
        assert len(msgs) == 3
        with prod.transaction():
            for m in msgs:
                prod.produce(dst, key=m.key, value=m.value, flush=False)
            prod.send_offsets_to_transaction(cons)
        committed = {tp.partition: tp.offset for tp in cons.committed()}
        assert committed == {0: 3}
        with pytest.raises(TypeError, match="KafkaConsumer"):
            prod.send_offsets_to_transaction("consumer")  # type: ignore[arg-type]
    finally:
        cons.close()
        prod.close()
    assert [m.value for m in read_all(bootstrap, dst, 3)] == [b"1", b"2", b"3"]


def test_spec_sync_relay_with_transactions(bootstrap: str, make_topic) -> None:
    """The spec's "Sync Relay with Transactions" example, bounded by a message limit."""
    from klient.consumer import ConsumerConfig, KafkaConsumer

    SOURCE, TARGET = make_topic(), make_topic()
    seed = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    seed.produce_batch([{"key": f"k{i}", "value": f"v{i}"} for i in range(50)], topic=SOURCE)
    seed.close()

    consumer = KafkaConsumer(ConsumerConfig(
        bootstrap_servers=bootstrap, group_id=uid("relay-sync"), topics=[SOURCE],
        isolation_level="read_committed", enable_auto_commit=False,
    ))
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("relay-sync-tx")))

    def transform_value(value_bytes: bytes) -> bytes:
        base = value_bytes.decode() if value_bytes else ""
        return f"{base}|processed".encode()

    batch = []
    BATCH_SIZE = 25
    try:
        for msg in consumer.message_stream(timeout=0.5, limit=50):
            batch.append(msg)
            if len(batch) >= BATCH_SIZE:
                producer.begin_transaction()
                for m in batch:
                    transformed = transform_value(m.value)
                    producer.produce(TARGET, key=m.key.decode() if m.key else None, value=transformed, flush=False)
                producer.commit_transaction()
                consumer.commit()
                batch.clear()
    except KeyboardInterrupt:  # pragma: no cover
        if producer.in_transaction:
            producer.abort_transaction()
    finally:
        consumer.stop()
        producer.close()
    out = read_all(bootstrap, TARGET, 50)
    assert len(out) == 50 and out[0].value == b"v0|processed"
    consumer.close()


async def test_async_transaction_calls_and_contexts(txn_producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    b = await txn_producer.abegin_transaction()
    assert (b.success, b.operation) == (True, "begin")
    await txn_producer.aproduce(topic, b"a1")
    c = await txn_producer.acommit_transaction()
    assert (c.success, c.operation) == (True, "commit")
    await txn_producer.abegin_transaction()
    await txn_producer.aproduce(topic, b"never")
    a = await txn_producer.aabort_transaction()
    assert (a.success, a.operation) == (True, "abort")
    async with txn_producer.atransaction() as tx:
        assert isinstance(tx, KafkaProducer.AsyncTransactionContext) and tx.result.operation == "begin"
        await tx.aproduce(topic, b"a2")  # other attributes are the producer's
    with pytest.raises(KeyError):
        async with txn_producer.atransaction():
            await txn_producer.aproduce(topic, b"never-2")
            raise KeyError("x")
    assert not txn_producer.in_transaction
    got = read_all(bootstrap, topic, 2, timeout=6)
    assert [m.value for m in got] == [b"a1", b"a2"]


def test_transaction_state_errors(txn_producer: KafkaProducer, producer: KafkaProducer) -> None:
    assert not producer.supports_transactions and txn_producer.supports_transactions
    with pytest.raises(klient.KafkaTransactionError, match="not configured for transactions"):
        producer.begin_transaction()
    with pytest.raises(klient.KafkaTransactionError, match="No active transaction to commit"):
        txn_producer.commit_transaction()
    with pytest.raises(klient.KafkaTransactionError, match="No active transaction to abort"):
        txn_producer.abort_transaction()
    ctx = txn_producer.transaction()
    assert isinstance(ctx, KafkaProducer.TransactionContext) and ctx.result is None
    with ctx as tx:
        assert tx.producer is txn_producer and tx.in_transaction
        with pytest.raises(klient.KafkaTransactionError, match="already in progress"):
            txn_producer.begin_transaction()
    assert ctx.result.success and not txn_producer.in_transaction
    import copy

    assert copy.copy(ctx).producer is txn_producer  # no recursion through __getattr__
