"""librdkafka's log lines reach `logging` (klient.producer / klient.consumer /
klient.admin) and, once the program has handlers, nothing reaches stderr."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import klient
from klient import _events, _logging
from klient.consumer import ConsumerConfig, KafkaConsumer
from klient.producer import KafkaProducer, ProducerConfig
from klient.relay import ExactlyOnceRelay

from conftest import uid

# Child: a handler on "klient" only; prints each klient.* record's fields, one per line.
_CHILD = textwrap.dedent(
    """
    import logging, sys, threading, klient
    got = threading.Event()
    class H(logging.Handler):
        def emit(self, r):
            if not hasattr(r, "facility"):
                return  # one of klient's JSON events, not a librdkafka line
            print(r.name, r.levelname, r.facility, r.syslog_level, r.client, r.rdkafka_name, r.getMessage(), flush=True)
            if r.facility == "FAIL":
                got.set()
    logging.getLogger("klient").addHandler(H())
    logging.getLogger("klient").setLevel(logging.DEBUG)
    kind = sys.argv[1]
    if kind == "producer":
        c = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers="127.0.0.1:1"))
        c.flush(0.1)  # the client is created on first use
    elif kind == "consumer":
        c = klient.KafkaConsumer(klient.ConsumerConfig(bootstrap_servers="127.0.0.1:1", group_id="g-logs", topics=["t-logs"]))
    else:
        c = klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers="127.0.0.1:1"))
        try:
            c.list_topics(timeout=2)  # the client is created on first use; this one fails
        except klient.KlientError:
            pass
    ok = got.wait(20)
    c.close()
    sys.exit(0 if ok else 3)
    """
)


def _run(kind: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _CHILD, kind], capture_output=True, text=True, timeout=120)


def test_refused_connection_is_a_logging_record_and_stderr_stays_empty() -> None:
    for kind in ("producer", "consumer", "admin"):
        out = _run(kind)
        assert out.returncode == 0, (kind, out.stdout, out.stderr)
        fails = [line for line in out.stdout.splitlines() if " FAIL " in line]
        assert fails, (kind, out.stdout)
        name, level, _fac, syslog, client, inst = fails[0].split(" ")[:6]
        assert (name, level, syslog, client) == (f"klient.{kind}", "ERROR", "3", kind), fails[0]
        assert inst.startswith("rdkafka#"), fails[0]
        assert "127.0.0.1:1" in fails[0], fails[0]
        assert out.stderr == "", (kind, out.stderr)


def test_without_any_handler_the_lines_still_reach_stderr() -> None:
    code = textwrap.dedent(
        """
        import time, klient
        p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers="127.0.0.1:1"))
        p.flush(0.1)
        time.sleep(3)
        p.close()
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "|FAIL|rdkafka#producer-" in out.stderr, out.stderr
    assert out.stderr.lstrip().startswith("%3|"), out.stderr


def test_in_process_record_carries_the_fields() -> None:
    got = threading.Event()
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)
            if getattr(record, "facility", "") == "FAIL":
                got.set()

    h = Collect()
    log = logging.getLogger("klient.producer")
    log.addHandler(h)
    try:
        p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers="127.0.0.1:1", client_id=f"logs-{uuid.uuid4().hex[:6]}"))
        try:
            p.flush(0.1)
            assert got.wait(20), [r.getMessage() for r in records]
        finally:
            p.close()
    finally:
        log.removeHandler(h)
    r = next(r for r in records if getattr(r, "facility", "") == "FAIL")
    assert r.levelno == logging.ERROR and r.syslog_level == 3 and r.client == "producer"  # type: ignore[attr-defined]


def test_syslog_levels_map_to_logging_levels() -> None:
    want = {0: logging.CRITICAL, 2: logging.CRITICAL, 3: logging.ERROR, 4: logging.WARNING, 5: logging.INFO, 6: logging.INFO, 7: logging.DEBUG}
    assert {s: _logging.python_level(s) for s in want} == want


def test_events_are_routed_by_name_with_their_fields() -> None:
    cases = {
        "produce_circuit_open": "klient.producer",
        "transaction_commit": "klient.producer",
        "delivery_failed": "klient.producer",
        "consumer_error": "klient.consumer",
        "rebalance_assign": "klient.consumer",
        "commit_failed": "klient.consumer",
        "admin_timeout": "klient.admin",
        "relay_batch_committed": "klient.relay",
        "something_new": "klient",
    }
    for event, want in cases.items():
        logger, extra = _events.route(f'{{"event":"{event}","topic":"t","name":"n","msg":"m"}}')
        assert logger.name == want, event
        # Fields named like LogRecord attributes are prefixed, so logging accepts them.
        assert extra == {"event": event, "topic": "t", "event_name": "n", "event_msg": "m"}
    assert _events.route("not json") == (logging.getLogger("klient"), {})
    assert _events.route("[1]") == (logging.getLogger("klient"), {})


def test_relay_and_consumer_events_reach_their_loggers(bootstrap: str, make_topic) -> None:
    src, dst = make_topic(), make_topic()
    p = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap))
    p.produce_batch([{"key": f"k{i}", "value": f"v{i}"} for i in range(5)], topic=src)
    p.close()
    group = uid("g-events")
    cons = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group))
    prod = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx-events")))
    relay = ExactlyOnceRelay(cons, prod, batch_size=5)

    records: list[logging.LogRecord] = []
    on_klient: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def __init__(self, into: list[logging.LogRecord]) -> None:
            super().__init__()
            self.into = into

        def emit(self, record: logging.LogRecord) -> None:
            if hasattr(record, "event"):
                self.into.append(record)

    handlers = [(logging.getLogger(n), Keep(records)) for n in ("klient.relay", "klient.consumer")]
    handlers.append((logging.getLogger("klient"), Keep(on_klient)))
    levels = [(lg, lg.level) for lg, _ in handlers]
    for lg, h in handlers:
        lg.addHandler(h)
        lg.setLevel(logging.INFO)
    try:
        deadline = time.monotonic() + 30

        def watch() -> None:
            while time.monotonic() < deadline and relay.stats().get("forwarded", 0) < 5:
                time.sleep(0.1)
            relay.stop()

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        relay.run(src, dst)
        t.join(5)
    finally:
        for lg, h in handlers:
            lg.removeHandler(h)
        for lg, level in levels:
            lg.setLevel(level)
    assert relay.stats()["forwarded"] == 5
    committed = [r for r in records if r.event == "relay_batch_committed"]  # type: ignore[attr-defined]
    assert committed and all(r.name == "klient.relay" for r in committed), [(r.name, r.getMessage()) for r in records]
    assert committed[0].source == src and committed[0].target == dst and committed[0].messages >= 1  # type: ignore[attr-defined]
    assigned = [r for r in records if r.event == "rebalance_assign" and r.group_id == group]  # type: ignore[attr-defined]
    assert assigned and assigned[0].name == "klient.consumer", [(r.name, r.getMessage()) for r in records]
    # A handler on "klient" sees each of these events once (propagated, not emitted twice).
    assert sorted(id(r) for r in on_klient if r in records) == sorted(id(r) for r in records)
    assert len([r for r in on_klient if r.event == "relay_batch_committed"]) == len(committed)  # type: ignore[attr-defined]
