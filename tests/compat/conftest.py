"""Shared fixtures of the differential suites (tests/compat/python, tests/compat/cli).

Each case runs twice against the same broker: once under the released glean-klient 0.1.2
(installed from PyPI into build/venv/released-3.12 by tests/venv.sh) and once under
klient (bindings/python on PYTHONPATH, or the native CLI). The two runs write to
different topics; what landed is read back by an independent confluent-kafka consumer
and compared after normalization.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
KLIENT_PYTHONPATH = str(ROOT / "bindings" / "python")
NATIVE_CLI = str(ROOT / "build" / "bin" / "klient")


def _venv_python(*args: str) -> str:
    out = subprocess.run([str(ROOT / "tests" / "venv.sh"), *args], check=True, capture_output=True, text=True, timeout=600)
    return out.stdout.strip()


@pytest.fixture(scope="session")
def bootstrap() -> str:
    bs = os.environ.get("KLIENT_TEST_BOOTSTRAP", "")
    if not bs:
        pytest.fail("KLIENT_TEST_BOOTSTRAP is not set: start the broker (make broker-up) and source build/broker.env")
    return bs


@pytest.fixture(scope="session")
def released_python() -> str:
    """The interpreter of the venv that holds glean-klient 0.1.2 from PyPI."""
    py = _venv_python("released")
    out = subprocess.run([py, "-c", "import klient, importlib.metadata as m; print(klient.__file__, m.version('glean-klient'))"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and " 0.1.2" in out.stdout, out.stderr
    assert "build/venv/released" in out.stdout, "the released run must import the PyPI package, not bindings/python"
    return py


def uid(prefix: str = "compat") -> str:
    return f"compat-{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def kafka_admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topic(admin: AdminClient, name: str, partitions: int = 1) -> str:
    fut = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=30, request_timeout=30)
    fut[name].result(timeout=60)
    return name


def read_topic(bootstrap: str, topic: str, partitions: int = 1, timeout: float = 20.0,
               isolation: str = "read_committed") -> list[dict[str, Any]]:
    """Everything in `topic`, read by a plain confluent-kafka consumer (no group): a list of
    {partition, offset, key, value, headers} ordered by partition then offset."""
    import time
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": uid("reader"), "enable.auto.commit": False,
                  "isolation.level": isolation, "enable.partition.eof": True})
    try:
        ends = {}
        for p in range(partitions):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            ends[p] = hi
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        out: list[dict[str, Any]] = []
        done = {p for p, hi in ends.items() if hi == 0}
        deadline = time.monotonic() + timeout
        while len(done) < partitions and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    done.add(m.partition())
                    continue
                raise RuntimeError(str(m.error()))
            out.append({"partition": m.partition(), "offset": m.offset(), "key": m.key(), "value": m.value(),
                        "headers": [(k, v) for k, v in (m.headers() or [])]})
        assert len(done) == partitions, f"reading {topic} did not reach the end within {timeout}s"
        return sorted(out, key=lambda r: (r["partition"], r["offset"]))
    finally:
        c.close()


@pytest.fixture(scope="session")
def klient_python() -> str:
    """The interpreter klient's side runs on: KLIENT_COMPAT_PYTHON (3.11|3.12|3.13, default 3.12)."""
    return _venv_python("test", os.environ.get("KLIENT_COMPAT_PYTHON", "3.12"))
