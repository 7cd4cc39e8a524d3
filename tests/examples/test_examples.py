"""Every example in examples/python and examples/cli, run as a user would run it against
the test broker: its exit code, what it prints, and what really reached Kafka. Topics
are created and read back with confluent-kafka (librdkafka's own Python client), so a
klient bug cannot hide itself by being on both sides of a check."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[2]
PY_EXAMPLES = ROOT / "examples" / "python"
CLI_EXAMPLES = ROOT / "examples" / "cli"
RUN_TIMEOUT = 60  # seconds any one example may run

# The examples each test below runs. test_every_example_is_tested fails when a new
# example appears without a test.
TESTED = {
    "python/produce.py", "python/consume.py", "python/transaction.py", "python/async_stream.py", "python/relay.py",
    "cli/orders.sh",
}


@pytest.fixture(scope="session")
def bootstrap() -> str:
    bs = os.environ.get("KLIENT_TEST_BOOTSTRAP", "")
    if not bs:
        pytest.fail("KLIENT_TEST_BOOTSTRAP is not set: start the broker (make broker-up) and source build/broker.env")
    return bs


@pytest.fixture(scope="session")
def admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap})


def name(prefix: str) -> str:
    return f"examples-{prefix}-{uuid.uuid4().hex[:10]}"


def topic_exists(admin: AdminClient, topic: str) -> bool:
    return topic in admin.list_topics(timeout=10).topics


@pytest.fixture
def make_topic(admin: AdminClient) -> Iterator:
    created: list[str] = []

    def make(prefix: str, partitions: int = 1) -> str:
        t = name(prefix)
        for fut in admin.create_topics([NewTopic(t, partitions, 1)], operation_timeout=10).values():
            fut.result(timeout=15)
        created.append(t)
        return t

    yield make
    if created:
        for fut in admin.delete_topics(created, operation_timeout=10).values():
            try:
                fut.result(timeout=15)
            except Exception:  # an example (the CLI one) may have deleted it already
                pass


def run(argv: list[str], bootstrap: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run an example from an unrelated directory, the broker given only through
    $KLIENT_BOOTSTRAP_SERVERS, as the examples document."""
    e = dict(os.environ, KLIENT_BOOTSTRAP_SERVERS=bootstrap, **env)
    p = subprocess.run(argv, cwd=tmp_path, env=e, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    print(f"$ {' '.join(argv)}\n--- stdout\n{p.stdout}--- stderr\n{p.stderr}")  # shown when a test fails
    return p


def py(example: str, *args: str) -> list[str]:
    return [sys.executable, str(PY_EXAMPLES / example), *args]


def read_topic(bootstrap: str, topic: str, want: int, isolation: str = "read_committed", settle: float = 1.0) -> list:
    """Every message of `topic` from the beginning: until `want` arrived (at most 20 s),
    then `settle` more seconds so that extra messages would show up too."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": name("reader"), "enable.auto.commit": False,
                  "isolation.level": isolation})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        out: list = []
        deadline = time.monotonic() + 20
        while len(out) < want and time.monotonic() < deadline:
            out += [m for m in c.consume(100, timeout=0.5) if m.error() is None]
        end = time.monotonic() + settle
        while time.monotonic() < end:
            out += [m for m in c.consume(100, timeout=0.2) if m.error() is None]
        return out
    finally:
        c.close()


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """The sum of the group's committed offsets on `topic` (0 for none)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        offs = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return sum(max(tp.offset, 0) for tp in offs)
    finally:
        c.close()


def produce(bootstrap: str, topic: str, values: list[str]) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i, v in enumerate(values):
        p.produce(topic, value=v.encode(), key=f"k{i}".encode())
    assert p.flush(15) == 0


def test_every_example_is_tested() -> None:
    found = {f"python/{p.name}" for p in PY_EXAMPLES.glob("*.py")} | {f"cli/{p.name}" for p in CLI_EXAMPLES.glob("*.sh")}
    assert found == TESTED, f"examples without a test: {sorted(found - TESTED)}; tests without an example: {sorted(TESTED - found)}"


def test_produce(bootstrap: str, make_topic, tmp_path: Path) -> None:
    topic = make_topic("produce", partitions=3)
    p = run(py("produce.py", topic, "--count", "12"), bootstrap, tmp_path)
    assert p.returncode == 0
    assert f"delivered 12 of 12 messages to {topic}" in p.stdout
    # One line per delivery callback, each with a distinct (partition, offset).
    reports = re.findall(rf"^delivered {re.escape(topic)}\[(\d)\]@(\d+)$", p.stdout, re.M)
    assert len(set(reports)) == 12

    msgs = read_topic(bootstrap, topic, 12)
    assert sorted(m.value().decode() for m in msgs) == sorted(f"order-{i}" for i in range(12))
    assert all(m.headers() == [("source", b"examples/python")] for m in msgs)
    # The key picks the partition: one customer's orders all land in one partition, in order.
    by_key: dict[bytes, set[int]] = {}
    for m in msgs:
        by_key.setdefault(m.key(), set()).add(m.partition())
    assert sorted(by_key) == [b"customer-0", b"customer-1", b"customer-2"]
    assert all(len(ps) == 1 for ps in by_key.values())
    assert {(str(m.partition()), str(m.offset())) for m in msgs} == set(reports)


def test_consume_commits_after_processing(bootstrap: str, make_topic, tmp_path: Path) -> None:
    topic = make_topic("consume", partitions=2)
    values = [f"event-{i}" for i in range(6)]
    produce(bootstrap, topic, values)
    group = name("group")

    p = run(py("consume.py", topic, "--group", group, "--max", "6", "--timeout", "20"), bootstrap, tmp_path)
    assert p.returncode == 0
    assert f"consumed 6 messages from {topic} as group {group}" in p.stdout
    assert sorted(re.findall(r"value=(event-\d)$", p.stdout, re.M)) == values
    assert committed(bootstrap, group, topic, 2) == 6

    # The same group again: it starts after its committed offsets and finds nothing.
    p = run(py("consume.py", topic, "--group", group, "--timeout", "3"), bootstrap, tmp_path)
    assert p.returncode == 0
    assert f"consumed 0 messages from {topic}" in p.stdout


def test_transaction_commit_and_abort(bootstrap: str, make_topic, tmp_path: Path) -> None:
    topic = make_topic("txn")
    p = run(py("transaction.py", topic), bootstrap, tmp_path)
    assert p.returncode == 0
    assert "aborted a transaction: card declined" in p.stdout
    assert "read_committed sees 3 message(s): order-0, order-1, order-2" in p.stdout

    committed_view = [m.value().decode() for m in read_topic(bootstrap, topic, 3)]
    assert committed_view == ["order-0", "order-1", "order-2"]
    # The aborted order was written, then aborted: only read_uncommitted shows it.
    raw = [m.value().decode() for m in read_topic(bootstrap, topic, 4, isolation="read_uncommitted", settle=0.2)]
    assert raw == ["order-0", "order-1", "order-2", "order-declined"]


def test_async_stream(bootstrap: str, make_topic, tmp_path: Path) -> None:
    topic = make_topic("async")
    p = run(py("async_stream.py", topic, "--count", "7"), bootstrap, tmp_path)
    assert p.returncode == 0
    assert "produced 7 messages, last at offset 6" in p.stdout
    assert "streamed 7 of 7 messages" in p.stdout
    assert re.findall(r"^0@\d+: (reading-\d+)$", p.stdout, re.M) == [f"reading-{i}" for i in range(7)]
    assert sorted(m.value().decode() for m in read_topic(bootstrap, topic, 7)) == sorted(f"reading-{i}" for i in range(7))


def test_relay_exactly_once(bootstrap: str, make_topic, tmp_path: Path) -> None:
    src, dst = make_topic("relay-src", partitions=2), make_topic("relay-dst")
    values = [f"payment-{i}" for i in range(30)]
    produce(bootstrap, src, values)
    group = name("relay")

    p = run(py("relay.py", src, dst, "--group", group), bootstrap, tmp_path)
    assert p.returncode == 0
    assert f"relayed 30 message(s) from {src} to {dst}" in p.stdout
    assert f"{dst} holds 30 message(s)" in p.stdout
    out = read_topic(bootstrap, dst, 30)
    assert sorted(m.value().decode() for m in out) == sorted(v.upper() for v in values)
    assert all(dict(m.headers())["relayed-from"] == src.encode() for m in out)
    # The source offsets were committed with the output, inside the transactions.
    assert committed(bootstrap, group, src, 2) == 30

    # A second run of the same group has nothing left to relay: no duplicates.
    p = run(py("relay.py", src, dst, "--group", group), bootstrap, tmp_path)
    assert p.returncode == 0
    assert f"relayed 0 message(s) from {src} to {dst}" in p.stdout
    assert len(read_topic(bootstrap, dst, 30)) == 30  # (the settle second would catch a 31st)


@pytest.mark.parametrize("cli", ["native", "python -m klient"])
def test_cli_orders(cli: str, bootstrap: str, admin: AdminClient, tmp_path: Path) -> None:
    topic = name("cli")
    command = str(ROOT / "build" / "bin" / "klient") if cli == "native" else f"{sys.executable} -m klient"
    p = run(["bash", str(CLI_EXAMPLES / "orders.sh"), topic], bootstrap, tmp_path, KLIENT=command)
    assert p.returncode == 0, p.stderr
    sections = dict(re.findall(r"^## (\w+)[^\n]*\n(.*?)(?=^## |\Z)", p.stdout, re.M | re.S))
    assert json.loads(sections["create"].split("TOPIC")[0]) == {"created": True, "topic": topic}
    assert json.loads(sections["produce"])["messages"] == 4

    consumed = json.loads(sections["consume"])
    orders = [(m["key"], json.loads(m["value"])["order_id"]) for m in consumed]
    assert sorted(orders) == [("alice", 1001), ("alice", 1003), ("bob", 1002), ("carol", 1004)]
    # alice's two orders share a partition and keep their order within it.
    alice = [m for m in consumed if m["key"] == "alice"]
    assert alice[0]["partition"] == alice[1]["partition"] and alice[0]["offset"] < alice[1]["offset"]
    assert json.loads(sections["check"]) == []  # the group is caught up

    records = re.findall(rf"^{re.escape(topic)}-enriched\[0\]@\d+:\n(\{{.*?^\}})$", sections["read"], re.M | re.S)
    envelopes = [json.loads(r) for r in records]
    assert sorted(e["order"]["order_id"] for e in envelopes) == [1001, 1002, 1003, 1004]
    assert all(e["status"] == "received" for e in envelopes)

    assert json.loads(sections["delete"]) == {"deleted": True, "topic": topic}
    assert not topic_exists(admin, topic) and not topic_exists(admin, f"{topic}-enriched")
