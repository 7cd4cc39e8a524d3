"""librdkafka's log lines reach `logging` (klient.producer / klient.consumer /
klient.admin) and, once the program has handlers, nothing reaches stderr."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import uuid

import klient
from klient import _logging

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
    r = next(r for r in records if r.facility == "FAIL")  # type: ignore[attr-defined]
    assert r.levelno == logging.ERROR and r.syslog_level == 3 and r.client == "producer"  # type: ignore[attr-defined]


def test_syslog_levels_map_to_logging_levels() -> None:
    want = {0: logging.CRITICAL, 2: logging.CRITICAL, 3: logging.ERROR, 4: logging.WARNING, 5: logging.INFO, 6: logging.INFO, 7: logging.DEBUG}
    assert {s: _logging.python_level(s) for s in want} == want
