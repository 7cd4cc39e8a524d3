"""Shared fixtures: the broker address (required), unique names, topics."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest

import klient
from klient import AdminConfig, KafkaAdmin


@pytest.fixture(scope="session")
def bootstrap() -> str:
    bs = os.environ.get("KLIENT_TEST_BOOTSTRAP", "")
    if not bs:
        pytest.fail("KLIENT_TEST_BOOTSTRAP is not set: start the broker (make broker-up) and source build/broker.env")
    return bs


def uid(prefix: str = "py") -> str:
    return f"pytest-{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def admin(bootstrap: str) -> Iterator[KafkaAdmin]:
    a = KafkaAdmin(AdminConfig(bootstrap_servers=bootstrap))
    yield a
    a.close()


@pytest.fixture
def make_topic(admin: KafkaAdmin) -> Iterator:
    created: list[str] = []

    def make(partitions: int = 1, prefix: str = "t", config: dict | None = None) -> str:
        name = uid(prefix)
        spec = {"topic": name, "num_partitions": partitions, "replication_factor": 1}
        if config:
            spec["config"] = config
        res = admin.create_topics([spec])
        assert res == {name: True}
        created.append(name)
        return name

    yield make
    if created:
        admin.delete_topics(created)


@pytest.fixture
def topic(make_topic) -> str:
    return make_topic(1)


@pytest.fixture
def producer(bootstrap: str) -> Iterator[klient.KafkaProducer]:
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    yield p
    p.close()


@pytest.fixture
def txn_producer(bootstrap: str) -> Iterator[klient.KafkaProducer]:
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx")))
    yield p
    p.close()


def consumer_for(bootstrap: str, topic: str, **kw) -> klient.KafkaConsumer:
    return klient.KafkaConsumer(
        klient.ConsumerConfig(bootstrap_servers=bootstrap, group_id=uid("g"), topics=[topic], **kw)
    )


def read_all(bootstrap: str, topic: str, expect: int, timeout: float = 20.0, **kw) -> list[klient.MessageResult]:
    """Read until ``expect`` messages arrived or timeout; then close."""
    c = consumer_for(bootstrap, topic, **kw)
    try:
        return c.consume_messages(max_messages=max(expect, 1), timeout=timeout)
    finally:
        c.close()
