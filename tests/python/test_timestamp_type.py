"""MessageResult.timestamp carries the record's timestamp type like confluent-kafka's
Message.timestamp(): (1, ms) on a CreateTime topic (the producer's ms), (2, ms) on a
topic with message.timestamp.type=LogAppendTime (the broker's append time)."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

import klient
from klient import KafkaAdmin
from klient.consumer import ConsumerConfig, KafkaConsumer, MessageResult

from conftest import uid

OLD_MS = 1_500_000_000_000  # 2017: far from any append time of this run


@pytest.fixture
def topics(admin: KafkaAdmin) -> Iterator[tuple[str, str]]:
    create_time, log_append = uid("ts-create"), uid("ts-append")
    res = admin.create_topics([
        {"topic": create_time, "num_partitions": 1, "replication_factor": 1},
        {"topic": log_append, "num_partitions": 1, "replication_factor": 1,
         "config": {"message.timestamp.type": "LogAppendTime"}},
    ])
    assert res == {create_time: True, log_append: True}
    yield create_time, log_append
    admin.delete_topics([create_time, log_append])


def _consume(bootstrap: str, topic: str, n: int, how: str) -> list[MessageResult]:
    c = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic]))
    try:
        got: list[MessageResult] = []
        deadline = time.time() + 30
        while len(got) < n and time.time() < deadline:
            if how == "poll":
                m = c.poll(timeout=1.0)
                got += [m] if m is not None else []
            else:
                got += c.consume_messages(max_messages=n - len(got), timeout=1.0)
        assert len(got) == n, f"consumed {len(got)} of {n} messages of {topic} in 30 s"
        return got
    finally:
        c.stop()


@pytest.mark.parametrize("how", ["poll", "batch"])
def test_timestamp_types(bootstrap: str, topics: tuple[str, str], how: str) -> None:
    create_time, log_append = topics
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    try:
        before = int(time.time() * 1000)
        sent = {t: p.produce(t, value=b"v", timestamp=OLD_MS, flush=True) for t in topics}
        after = int(time.time() * 1000)
    finally:
        p.close()
    assert all(r.success for r in sent.values()), sent

    (m,) = _consume(bootstrap, create_time, 1, how)
    assert m.timestamp == (klient.consumer.TIMESTAMP_CREATE_TIME, OLD_MS) == (1, OLD_MS)

    (m,) = _consume(bootstrap, log_append, 1, how)
    kind, ms = m.timestamp
    assert kind == 2, m.timestamp
    # The broker replaced the producer's 2017 stamp with its own clock at append.
    assert before - 5000 <= ms <= after + 5000, (ms, before, after)
