"""Issue 13, the Python side: values ctypes would silently cut are refused before they
cross into the C ABI, a failed buffered send is never silent, no lock is held across a
blocking wait, Ctrl-C interrupts every blocking call, and the fork advice works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import klient
from klient import errors as e
from klient.producer import KafkaProducer, ProducerConfig

from conftest import uid

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "bindings" / "python")}

# Each is a produce() keyword set that ctypes would have turned into another message:
# "t\0evil" -> "t", header "a\0b" -> "a", partition 2**32 -> 0, timestamp 2**64+5 -> 5.
BAD_PRODUCE = [
    pytest.param({"topic_suffix": "\x00evil"}, "topic", id="nul-topic"),
    pytest.param({"headers": {"a\x00b": b"v"}}, "header key", id="nul-header-key"),
    pytest.param({"headers": [("a\x00b", b"v")]}, "header key", id="nul-header-key-list"),
    pytest.param({"partition": 2**32}, "partition", id="partition-2**32"),
    pytest.param({"partition": 2**31}, "partition", id="partition-2**31"),
    pytest.param({"partition": -2}, "partition", id="partition--2"),
    pytest.param({"timestamp": 2**64 + 5}, "timestamp", id="timestamp-2**64+5"),
    pytest.param({"timestamp": 2**63}, "timestamp", id="timestamp-2**63"),
    pytest.param({"timestamp": float("nan")}, "timestamp", id="timestamp-nan"),
    pytest.param({"timestamp": float("inf")}, "timestamp", id="timestamp-inf"),
]


def _kw(topic: str, bad: dict) -> dict:
    kw = dict(bad)
    kw["topic"] = topic + kw.pop("topic_suffix", "")
    return kw


@pytest.mark.parametrize("bad,what", BAD_PRODUCE)
def test_bad_values_are_refused_and_nothing_is_sent(producer: KafkaProducer, topic: str, bad: dict, what: str) -> None:
    kw = _kw(topic, bad)
    calls = {
        "queued": lambda: producer.produce(value=b"bad", flush=False, **kw),
        "sync": lambda: producer.produce(value=b"bad", flush=True, **kw),
        "retry": lambda: producer.produce_with_retry(value=b"bad", **kw),
        "batch": lambda: producer.produce_batch([{**kw, "value": b"bad"}], flush=False),
        "batch-sync": lambda: producer.produce_batch([{**kw, "value": b"bad"}], flush=True),
    }
    for name, call in calls.items():
        with pytest.raises(e.KafkaProducerValueError, match=what) as info:
            call()
        assert isinstance(info.value, ValueError), name
    # A good message after them is the topic's first: none of the bad ones landed.
    assert producer.produce(topic, value=b"good", partition=0, flush=True).offset == 0
    assert producer.delivery_failures == 0


def test_unkeyed_fast_paths_refuse_a_nul_topic(producer: KafkaProducer, topic: str) -> None:
    # The buffered fast path and the packed batch path encode the topic themselves.
    with pytest.raises(e.KafkaProducerValueError, match="NUL"):
        producer.produce(topic + "\x00evil", b"x")
    with pytest.raises(e.KafkaProducerValueError, match="NUL"):
        producer.produce_batch([b"x", b"y"], topic=topic + "\x00evil", flush=False)
    assert producer.produce(topic, value=b"good", flush=True).offset == 0


async def test_aproduce_refuses_what_ctypes_would_cut(producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(e.KafkaProducerValueError, match="NUL"):
        await producer.aproduce(topic + "\x00evil", b"x", flush=True)
    with pytest.raises(e.KafkaProducerValueError, match="partition"):
        await producer.aproduce(topic, b"x", partition=2**32, flush=True)
    assert (await producer.aproduce(topic, b"good", flush=True)).offset == 0


def test_buffered_bad_message_fails_at_its_own_call(producer: KafkaProducer, topic: str) -> None:
    # issue 13 item 2: a lone surrogate used to be queued, then fail a later, unrelated call.
    assert producer.produce(topic, b"first").status == "queued"
    with pytest.raises(e.KafkaProducerValueError):
        producer.produce("\ud800x", b"bad")
    with pytest.raises(e.KafkaProducerValueError):
        producer.produce(topic, "\ud800x")
    with pytest.raises(UnicodeEncodeError):
        producer.produce(topic, b"v", key="\ud800")
    assert producer.produce(topic, b"second").status == "queued"
    assert producer.flush(10) == 0
    assert producer.delivery_failures == 0
    assert producer.produce(topic, b"third", flush=True).offset == 2


def test_retry_arguments_that_would_wrap_as_c_int(producer: KafkaProducer, topic: str) -> None:
    with pytest.raises(e.KafkaProducerValueError, match="max_attempts"):
        producer.produce_with_retry(topic, value=b"x", max_attempts=2**32 + 1)
    with pytest.raises(e.KafkaProducerValueError, match="base_backoff"):
        producer.produce_with_retry(topic, value=b"x", base_backoff=2**32)


def test_config_with_nul_is_refused(bootstrap: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id="tx\x00evil"))
    with pytest.raises(e.KafkaProducerValueError, match="NUL"):
        p.produce("t", b"x", flush=True)
    p.close()
    c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id="g\x00evil"))
    with pytest.raises(e.KafkaConsumerValueError, match="NUL"):
        c.poll(0)
    c.close()
    a = klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers=bootstrap, additional_config={"client.id\x00x": "a"}))
    with pytest.raises(e.KafkaAdminValueError, match="NUL"):
        a.list_topics()
    a.close()


def test_consumer_refuses_what_ctypes_would_cut(bootstrap: str, topic: str) -> None:
    c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g")))
    try:
        with pytest.raises(e.KafkaConsumerValueError, match="NUL"):
            c.subscribe([topic + "\x00evil"])
        c.subscribe([topic])
        for kw, what in [({"partition": 2**32}, "partition"), ({"offset": 2**64 + 5}, "offset"), ({"topic": topic + "\x00x"}, "NUL")]:
            args = {"topic": topic, "partition": 0, "offset": 0, **kw}
            with pytest.raises(e.KafkaConsumerValueError, match=what) as info:
                c.seek_to_offset(args["topic"], args["offset"], args["partition"])
            assert isinstance(info.value, ValueError)
        with pytest.raises(e.KafkaConsumerValueError, match="partition"):
            c.assign([klient.TopicPartition(topic, 2**32, 5)])
    finally:
        c.close()


def test_admin_refuses_what_would_be_cut(admin: klient.KafkaAdmin) -> None:
    name = uid("adm")
    for spec, what in [
        ({"topic": name + "\x00evil", "num_partitions": 1}, "NUL"),
        ({"topic": name, "num_partitions": 2**32 + 1}, "partitions"),
        ({"topic": name, "num_partitions": 1, "replication_factor": 2**16 + 1}, "replication_factor"),
        ({"topic": name, "num_partitions": 1, "config": {"cleanup.policy": "delete\x00compact"}}, "NUL"),
    ]:
        with pytest.raises(e.KafkaAdminValueError, match=what) as info:
            admin.create_topics([spec])
        assert isinstance(info.value, ValueError)
    with pytest.raises(e.KafkaAdminValueError, match="NUL"):
        admin.delete_topics([name + "\x00evil"])
    assert not admin.topic_exists(name)


def test_failed_buffered_send_is_raised_until_flush_reports_it(bootstrap: str, topic: str) -> None:
    # In a transaction the sender thread stops at a message the library refuses (larger
    # than message.max.bytes): every later call raises that, and flush() reports it once.
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx"),
                                     additional_config={"message.max.bytes": 2000}))
    try:
        p.begin_transaction()
        assert p.produce(topic, b"x" * 5000).status == "queued"
        deadline = time.monotonic() + 10
        while p._send_error is None and time.monotonic() < deadline:  # the sender thread's turn
            time.sleep(0.01)
        assert p.delivery_failures == 1
        for _ in range(2):
            with pytest.raises(e.KafkaProducerError, match="earlier buffered send failed"):
                p.produce(topic, b"later")
        with pytest.raises(e.KafkaProducerError, match="earlier buffered send failed"):
            p.produce_batch([b"later"], topic=topic)
        with pytest.raises(e.KafkaProducerError, match="earlier buffered send failed"):
            p.flush(5)
        p.abort_transaction()
        p.begin_transaction()
        assert p.produce(topic, b"after", flush=True).status == "success"
        p.commit_transaction()
    finally:
        p.close()


def test_close_raises_a_failed_buffered_send(bootstrap: str, topic: str) -> None:
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    p.produce(topic, b"x", flush=True)
    p._send_error = e.KafkaProducerError("sender stopped", code=e.ERR_INTERNAL)  # as the sender thread records it
    with pytest.raises(e.KafkaProducerError, match="sender stopped"):
        p.close()
    assert p._send_error is None
    p.close()  # reported once


# ---- no lock across a blocking wait --------------------------------------------------


def _batch_rate(p: KafkaProducer, topic: str, threads: int, per_thread: int) -> float:
    batch = [b"v%d" % i for i in range(10)]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(per_thread):
                p.produce_batch(batch, topic=topic, flush=True, timeout=30)
        except BaseException as ex:  # noqa: BLE001 - reported by the assertion below
            errors.append(ex)

    ts = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    elapsed = time.monotonic() - t0
    assert not errors and not any(t.is_alive() for t in ts)
    return threads * per_thread / elapsed


def test_threads_do_not_convoy_on_the_producer_lock(bootstrap: str, make_topic) -> None:
    topic = make_topic(4)
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config={"linger.ms": 5}))
    try:
        p.produce_batch([b"warm"], topic=topic, flush=True)
        one = _batch_rate(p, topic, 1, 40)
        four = _batch_rate(p, topic, 4, 40)
        assert four >= 0.8 * one, (one, four)
    finally:
        p.close()


def test_poll_in_one_thread_does_not_stall_another_produce(producer: KafkaProducer, topic: str) -> None:
    def produce_20() -> float:
        t0 = time.monotonic()
        for _ in range(20):
            producer.produce_batch([b"x"], topic=topic, flush=True, timeout=30)
            producer.produce(topic, b"x", flush=True)
        return time.monotonic() - t0

    producer.produce(topic, b"warm", flush=True)
    alone = produce_20()
    poller = threading.Thread(target=producer.poll, args=(5,))
    poller.start()
    time.sleep(0.05)
    beside = produce_20()
    poller.join(10)
    assert beside < max(3 * alone, 0.5), (alone, beside)


# ---- Ctrl-C --------------------------------------------------------------------------


def _interrupted_within(code: str, limit: float = 0.5) -> None:
    """Run ``code`` (which prints "ready" then blocks) in a child; SIGINT it and expect
    "interrupted <seconds>" with the time from the signal to the KeyboardInterrupt. The
    child installs Python's SIGINT handler itself: a suite launched with SIGINT ignored
    (nohup make test &) passes SIG_IGN down, and Python keeps it."""
    prelude = """
        import os, signal, sys, threading, time
        signal.signal(signal.SIGINT, signal.default_int_handler)
        def interrupt_soon():
            time.sleep(0.5)
            sent[0] = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)
        sent = [0.0]
        def arm():
            print("ready", flush=True)
            threading.Thread(target=interrupt_soon, daemon=True).start()
    """
    full = textwrap.dedent(prelude) + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", full], env=ENV, capture_output=True, text=True, timeout=60)
    lines = proc.stdout.split()
    assert "interrupted" in lines, (proc.stdout, proc.stderr[-2000:])
    took = float(lines[lines.index("interrupted") + 1])
    assert took < limit, took


CTRL_C_CASES = {
    "sync-produce": "p.produce(T, b'x', flush=True, timeout=None)",
    "produce_with_retry": "p.produce_with_retry(T, value=b'x', timeout=None)",
    "flush": "p.produce(T, b'x'); p.flush(None)",
    "poll": "p.poll(None)",
    "admin": "a.list_topics(timeout=30)",
    "init_transactions": "klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=BS, transactional_id='tx')).init_transactions(30)",
    "begin_transaction": "klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=BS, transactional_id='tx')).begin_transaction()",
    "consumer-poll": "c.poll(timeout=30)",
    "consume": "c.consume_messages(max_messages=10, timeout=30)",
}


@pytest.mark.parametrize("case", list(CTRL_C_CASES))
def test_ctrl_c_interrupts_blocking_calls(case: str) -> None:
    # An unreachable broker: every call blocks until its timeout (or forever).
    code = f"""
        import klient
        BS = "127.0.0.1:1"
        T = "ctrl-c"
        p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=BS))
        a = klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers=BS))
        c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=BS, group_id="g", topics=[T]))
        arm()
        try:
            {CTRL_C_CASES[case]}
            print("returned", flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic() - sent[0], flush=True)
        os._exit(0)  # the abandoned call may still run in the background
    """
    _interrupted_within(code)


# ---- unreachable broker ----------------------------------------------------------------


def test_unreachable_broker_fails_produce_and_flush_within_seconds() -> None:
    # librdkafka alone retries a refused connection until message.timeout.ms (30 s here,
    # 300 s by default): a sync produce and a flush end after about 5 s instead, with the
    # address and "connection refused" (a sync produce reports it in its result, as a
    # delivery failure); close() then purges at once. The producer never reached a
    # broker, so its queued messages are purged: a retry cannot duplicate them.
    p = KafkaProducer(ProducerConfig(bootstrap_servers="127.0.0.1:1", additional_config={"message.timeout.ms": 30000}))
    try:
        start = time.monotonic()
        r = p.produce("klient-unreachable", b"x", flush=True, timeout=30)
        assert time.monotonic() - start < 9
        assert r.status == "error" and "connection refused by 127.0.0.1:1" in r.error, r
        p.produce("klient-unreachable", b"y")
        start = time.monotonic()
        with pytest.raises(e.KafkaProducerError, match="connection refused by 127.0.0.1:1"):
            p.flush(30)
        assert time.monotonic() - start < 9
        p.produce("klient-unreachable", b"z")  # the others were purged: not sent, never later
    finally:
        start = time.monotonic()
        with pytest.raises(e.KafkaProducerError, match="no broker was reachable"):
            p.close(timeout=30)
        assert time.monotonic() - start < 3


def test_unreachable_broker_fails_aproduce_within_seconds() -> None:
    # The asyncio form waits on the async path's report, which carries the same error
    # after about 5 s (not message.timeout.ms, 30 s here).
    import asyncio

    p = KafkaProducer(ProducerConfig(bootstrap_servers="127.0.0.1:1", additional_config={"message.timeout.ms": 30000}))
    try:
        start = time.monotonic()
        r = asyncio.run(asyncio.wait_for(p.aproduce("klient-unreachable", b"x", flush=True), 20))
        assert time.monotonic() - start < 9
        assert r.status == "error" and "connection refused by 127.0.0.1:1" in r.error, r
    finally:
        p.close(timeout=5)


# ---- fork ----------------------------------------------------------------------------


def test_fork_error_advice_works(bootstrap: str, topic: str) -> None:
    # The error names the fix; the fix (a 'spawn' worker creating its own client) works.
    code = f"""
        import multiprocessing, os, sys
        import klient

        def work(q):
            p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers={bootstrap!r}))
            q.put(p.produce({topic!r}, b"from-spawn", flush=True).offset)
            p.close()

        if __name__ == "__main__":
            p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers={bootstrap!r}))
            p.produce({topic!r}, b"parent", flush=True)
            pid = os.fork()
            if pid == 0:
                try:
                    klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers={bootstrap!r})).produce({topic!r}, b"x", flush=True)
                    os._exit(3)
                except klient.KlientForkError as e:
                    os._exit(0 if "'spawn'" in str(e) and "new client in the child" not in str(e) else 4)
            assert os.waitpid(pid, 0)[1] == 0
            ctx = multiprocessing.get_context("spawn")
            q = ctx.Queue()
            w = ctx.Process(target=work, args=(q,))
            w.start()
            print("offset", q.get(timeout=60), flush=True)
            w.join(60)
            assert w.exitcode == 0, w.exitcode
            p.close()
    """
    script = Path(f"/tmp/{uid('fork')}.py")
    script.write_text(textwrap.dedent(code))
    try:
        proc = subprocess.run([sys.executable, str(script)], env=ENV, capture_output=True, text=True, timeout=120)
    finally:
        script.unlink()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "offset 1" in proc.stdout


def test_metrics_values_that_would_wrap() -> None:
    from klient import metrics

    name = uid("m")
    with pytest.raises(ValueError, match="value"):
        metrics.inc(name, 2**63)
    with pytest.raises(ValueError, match="NUL"):
        metrics.inc(name + "\x00evil", 1)
    assert metrics.get(name) == 0


def test_nan_and_infinite_timeouts(producer: KafkaProducer, topic: str, bootstrap: str) -> None:
    # int(nan) / int(inf) used to escape as a bare ValueError / OverflowError.
    with pytest.raises(e.KafkaProducerValueError, match="timeout"):
        producer.produce(topic, b"x", flush=True, timeout=float("nan"))
    assert producer.produce(topic, b"x", flush=True, timeout=float("inf")).offset == 0
    c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic]))
    try:
        with pytest.raises(e.KafkaConsumerValueError, match="timeout"):
            c.poll(float("nan"))
    finally:
        c.close()


def test_huge_consume_counts_mean_up_to(bootstrap: str, producer: KafkaProducer, topic: str) -> None:
    # 2**64 wrapped to 0 in the size_t (an error about "got 0"); 2**40 was refused.
    producer.produce(topic, b"only", flush=True)
    c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic],
                                                   auto_offset_reset="earliest"))
    try:
        got = c.consume_messages(max_messages=2**64, timeout=6)
        assert [m.value for m in got] == [b"only"]
        assert c.consume_messages(count=2**40, timeout=0.5) == []
    finally:
        c.close()


def test_relay_refuses_a_nul_topic(bootstrap: str, topic: str) -> None:
    from test_relay import pair

    cons, prod = pair(bootstrap)
    relay = klient.ExactlyOnceRelay(cons, prod, transform=lambda m: m)
    try:
        for src, dst in ((topic + "\x00evil", topic), (topic, topic + "\x00evil")):
            with pytest.raises(ValueError, match="NUL"):
                relay.run(src, dst)
    finally:
        cons.close()
        prod.close()
