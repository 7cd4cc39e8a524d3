"""Retry + breaker, Ctrl-C, fork, CLI, and the spec's quick-start examples."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

import klient
from klient.producer import KafkaProducer, ProducerConfig

from conftest import read_all, uid

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "bindings" / "python")}


def test_produce_with_retry(producer: KafkaProducer, topic: str) -> None:
    r = producer.produce_with_retry(topic, value=b"data", max_attempts=5, base_backoff=0.05)
    assert r.status == "success" and r.offset == 0
    assert producer.breaker_state == "closed"
    with pytest.raises(ValueError, match="max_attempts"):
        producer.produce_with_retry(topic, value=b"x", max_attempts=0)
    with pytest.raises(ValueError, match="base_backoff"):
        producer.produce_with_retry(topic, value=b"x", base_backoff=-1)


async def test_aproduce_with_retry(producer: KafkaProducer, topic: str) -> None:
    r = await producer.aproduce_with_retry(topic, value=b"data")
    assert r.status == "success"


def test_retry_exhausted_opens_breaker(topic: str) -> None:
    # Nothing listens on port 1: every attempt times out (retriable).
    p = KafkaProducer(ProducerConfig(bootstrap_servers="127.0.0.1:1", additional_config={"message.timeout.ms": 300}))
    try:
        p.configure_breaker(cooldown=30)
        before = klient.metrics.get("producer.retry")
        with pytest.raises(klient.KafkaProducerRetriableError, match="attempts"):
            p.produce_with_retry(topic, value=b"x", max_attempts=2, base_backoff=0.01)
        assert klient.metrics.get("producer.retry") > before
        assert p.breaker_state == "open"
        with pytest.raises(klient.KafkaProducerCircuitOpenError):
            p.produce_with_retry(topic, value=b"x")
        with pytest.raises(klient.KafkaProducerCircuitOpenError):
            asyncio.run(p.aproduce_with_retry(topic, value=b"x"))
        p.configure_breaker(cooldown=1)
        with pytest.raises(klient.KafkaProducerRetriableError, match="attempts"):
            asyncio.run(p.aproduce_with_retry(topic, value=b"x", max_attempts=2, base_backoff=0.01))
        r = p.produce(topic, value=b"x", flush=True, timeout=5)
        assert r.status == "error" and r.error_code in (klient.errors.ERR_TIMEOUT, klient.errors.ERR_RETRIABLE)
    finally:
        p.close(timeout=1)


def run_py(code: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=ENV, capture_output=True, text=True, timeout=timeout, **kw)


def _line_reader(proc: subprocess.Popen) -> Callable[[], str]:
    """readline() of the child's stdout that fails after 20 s instead of waiting forever."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    return lambda: lines.get(timeout=20).strip()


def test_ctrl_c_stops_message_stream(bootstrap: str, topic: str) -> None:
    # The child installs Python's SIGINT handler itself: launched with SIGINT ignored
    # (nohup make test &) it would inherit SIG_IGN, which Python keeps. Every read of its
    # output has a timeout, so a child that is not interrupted fails the test, not hangs it.
    code = f"""
        import signal, sys, time
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from klient import KafkaConsumer, ConsumerConfig
        c = KafkaConsumer(ConsumerConfig(bootstrap_servers={bootstrap!r}, group_id={uid('g')!r}, topics=[{topic!r}]))
        print("ready", flush=True)
        try:
            for m in c.message_stream(timeout=30):
                pass
        except KeyboardInterrupt:
            t0 = time.monotonic()
            print("interrupted", flush=True)
        try:
            c.poll(timeout=30)
        except KeyboardInterrupt:
            print("poll interrupted", flush=True)
        c.close()
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    readline = _line_reader(proc)
    try:
        assert readline() == "ready"
        time.sleep(1.5)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert readline() == "interrupted"
        assert time.monotonic() - t0 < 1.5
        time.sleep(0.5)
        t1 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert readline() == "poll interrupted"
        assert time.monotonic() - t1 < 1.5
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_use_after_fork_in_child(bootstrap: str, topic: str) -> None:
    code = f"""
        import os, sys
        import klient
        p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers={bootstrap!r}))
        c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers={bootstrap!r}, group_id="g-fork"))
        a = klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers={bootstrap!r}))
        pid = os.fork()
        if pid == 0:
            rc = 0
            for name, call in [("producer", lambda: p.produce({topic!r}, value=b"x")),
                               ("producer-queued", lambda: p.produce({topic!r}, value=b"x", flush=False)),
                               ("producer-batch", lambda: p.produce_batch([b"x"], topic={topic!r}, flush=False)),
                               ("consumer-poll", lambda: c.poll(0)),
                               ("consumer", lambda: c.subscribe([{topic!r}])),
                               ("admin", lambda: a.list_topics()),
                               ("metrics", lambda: klient.metrics.get("x"))]:
                try:
                    call()
                    print("no fork error from", name, file=sys.stderr)
                    rc = 1
                except klient.KlientForkError as e:
                    assert "fork" in str(e), e
            p.close(); c.close(); a.close()  # dropped without touching the library
            os._exit(rc)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0, status
        assert p.produce({topic!r}, value=b"parent", flush=True).status == "success"
        p.close(); c.close(); a.close()
        print("ok")
    """
    r = run_py(code)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_cli_equals_native(tmp_path: Path) -> None:
    native = ROOT / "build" / "bin" / "klient"
    for args in (["--help"], ["no-such-command"], ["admin", "--help"]):
        py = subprocess.run([sys.executable, "-m", "klient", *args], env=ENV, capture_output=True, text=True, timeout=60)
        if native.exists():
            nat = subprocess.run([str(native), *args], capture_output=True, text=True, timeout=60)
            assert (py.returncode, py.stdout) == (nat.returncode, nat.stdout)
        assert py.stdout or py.stderr
    assert subprocess.run([sys.executable, "-m", "klient", "--help"], env=ENV, capture_output=True, timeout=60).returncode == 0


def test_cli_in_process_fallback(capfd) -> None:
    from klient import __main__ as cli

    rc = subprocess.run(
        [sys.executable, "-c", "import klient.__main__ as m; m._binary = lambda: None; raise SystemExit(m.main(['--help']))"],
        env=ENV, capture_output=True, text=True, timeout=60,
    )
    assert rc.returncode == 0 and "klient" in rc.stdout
    assert cli._binary() is not None


def test_cli_against_broker(bootstrap: str, topic: str) -> None:
    r = subprocess.run([sys.executable, "-m", "klient", "--bootstrap-servers", bootstrap, "admin", "list-topics"],
                       env=ENV, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:  # the flag name is the CLI's business; fall back to the env file
        pytest.fail(f"python -m klient admin list-topics failed: {r.stderr}")
    assert topic in r.stdout


def test_spec_quick_start_producing(bootstrap: str, topic: str, capsys) -> None:
    from klient.producer import KafkaProducer, ProducerConfig

    producer = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    result = producer.produce(topic=topic, key=b"user-1", value=b"hello")
    print(result.status, result.partition, result.offset)

    async def main():
        aresult = await producer.aproduce(topic=topic, key=b"user-2", value=b"hi async")
        print(aresult.status)
    asyncio.run(main())
    producer.close()
    # The released default is flush=False: queued, delivered by close().
    assert capsys.readouterr().out == "queued None None\nqueued\n"
    assert [m.value for m in read_all(bootstrap, topic, 2)] == [b"hello", b"hi async"]


def test_spec_consuming_and_seeking(bootstrap: str, topic: str) -> None:
    from klient.consumer import ConsumerConfig, KafkaConsumer

    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    p.produce_batch([f"m{i}".encode() for i in range(1010)], topic=topic)
    p.close()
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("demo"), topics=[topic]))
    consumer.subscribe([topic])
    msg = None
    deadline = time.time() + 20
    while msg is None and time.time() < deadline:
        msg = consumer.poll(timeout=1.0)
    assert msg and msg.offset == 0
    batch = consumer.consume_messages(max_messages=10, timeout=5.0)
    assert [m.offset for m in batch] == list(range(1, 11))
    n = 0
    for m in consumer.message_stream(timeout=1.0):
        n += 1
        if n == 5:  # some_condition()
            break
    consumer.stop()
    consumer.close()

    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("demo")))
    consumer.subscribe([topic])
    consumer.seek_to_offset(topic=topic, offset=1000)
    consumer.seek_to_offset(topic=topic, offset=1000, partition=0)
    msg = consumer.poll(timeout=15.0)
    assert msg is not None and msg.offset == 1000 and msg.value == b"m1000"
    consumer.close()


def test_spec_continuous_async_transaction_stream(bootstrap: str, topic: str) -> None:
    """The spec's continuous stream example, stopped by a real SIGINT."""
    code = f"""
        import asyncio
        import signal
        from klient.producer import KafkaProducer, ProducerConfig

        stop = asyncio.Event()

        def handle_sigint(*_):
          stop.set()

        signal.signal(signal.SIGINT, handle_sigint)

        producer = KafkaProducer(ProducerConfig(
          bootstrap_servers={bootstrap!r},
          transactional_id={uid("stream-tx-producer")!r}
        ))

        async def produce_forever(batch_size: int = 5, delay: float = 0.5):
          counter = 0
          while not stop.is_set():
            async with producer.atransaction():
              for i in range(batch_size):
                key = f"user-{{counter}}".encode()
                value = f"payload-{{counter}}".encode()
                await producer.aproduce({topic!r}, key=key, value=value)
                counter += 1
            print("batch", flush=True)
            await asyncio.sleep(delay)
          producer.flush()

        asyncio.run(produce_forever())
        print("done", flush=True)
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    readline = _line_reader(proc)
    try:
        assert readline() == "batch"
        assert readline() == "batch"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()  # type: ignore[union-attr]
        rest = []
        while not rest or rest[-1] == "batch":
            rest.append(readline())
        assert rest[-1] == "done"
    finally:
        proc.kill()
    got = read_all(bootstrap, topic, 10, timeout=10)
    assert len(got) >= 10 and len(got) % 5 == 0 and got[0].value == b"payload-0"


async def test_spec_async_transactional_relay(bootstrap: str, make_topic) -> None:
    from klient.consumer import ConsumerConfig, KafkaConsumer

    src, dst = make_topic(), make_topic()
    seed = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    seed.produce_batch([f"in{i}".encode() for i in range(50)], topic=src)
    seed.close()
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("relay-async-group"), isolation_level="read_committed"))
    consumer.subscribe([src])
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("relay-tx-producer")))

    async def relay_forever(batch_size: int = 25):
        buffer = []
        async for msg in consumer.amessage_stream(timeout=1.0, limit=50):
            buffer.append(msg)
            if len(buffer) >= batch_size:
                async with producer.atransaction():
                    for m in buffer:
                        enriched = (m.value or b"") + f"|offset={m.offset}".encode()
                        await producer.aproduce(dst, key=m.key, value=enriched)
                buffer.clear()

    await asyncio.wait_for(relay_forever(), 60)
    consumer.close()
    producer.close()
    out = await asyncio.get_running_loop().run_in_executor(None, read_all, bootstrap, dst, 50)
    assert [m.value for m in out][:2] == [b"in0|offset=0", b"in1|offset=1"] and len(out) == 50


def test_spec_metrics_example(capsys, txn_producer: KafkaProducer, topic: str) -> None:
    import ast

    from klient import metrics
    from klient.metrics import snapshot

    mine = uid("metric")
    metrics.inc(mine, 3)
    before = snapshot()
    with txn_producer.transaction():  # the core counts the begin and the commit
        txn_producer.produce(topic, b"x")
    print(snapshot())  # the README's example
    out = ast.literal_eval(capsys.readouterr().out)
    assert list(out)[: len(metrics.RELEASED_COUNTERS)] == list(metrics.RELEASED_COUNTERS)
    assert out[mine] == 3
    assert out["producer.tx.begin"] == before["producer.tx.begin"] + 1
    assert out["producer.tx.commit"] == before["producer.tx.commit"] + 1
    assert out["producer.tx.abort"] == before["producer.tx.abort"]
    assert all(type(v) is int and v >= 0 for v in out.values())
