"""librdkafka's statistics reach the ``stats_cb`` of additional_config, as in
confluent-kafka: a callable taking the JSON string, called every
``statistics.interval.ms``; each client's documents reach its own callback only."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable

import pytest

import klient
from conftest import consumer_for


class Collector:
    """A stats_cb that keeps the decoded documents."""

    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []
        self.types: set[type] = set()
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self.lock:
            self.types.add(type(text))
            self.docs.append(json.loads(text))

    def wait(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for d in self.docs:
                    if pred(d):
                        return d
            time.sleep(0.05)
        pytest.fail(f"no matching statistics document within {timeout} s ({len(self.docs)} documents)")

    def names(self) -> set[str]:
        with self.lock:
            return {d["name"] for d in self.docs}


def _stats(cb: Callable[[str], Any]) -> dict[str, Any]:
    return {"stats_cb": cb, "statistics.interval.ms": 100}


def test_two_producers_each_get_their_own_statistics(bootstrap: str, topic: str) -> None:
    a, b = Collector(), Collector()
    pa = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, additional_config=_stats(a)))
    pb = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, additional_config=_stats(b)))
    try:
        pa.produce(topic, value=b"v", timeout=10)
        pb.flush(1)  # created on first use
        da = a.wait(lambda d: d["type"] == "producer" and d.get("txmsgs", 0) >= 1)
        b.wait(lambda d: d["type"] == "producer")
        assert a.types == {str} and b.types == {str}
        # Each callback saw one client's documents, and not the same client.
        assert len(a.names()) == 1 and len(b.names()) == 1 and a.names() != b.names(), (a.names(), b.names())
        assert da["name"].startswith("rdkafka#producer-")
    finally:
        pa.close()
        pb.close()


def test_consumer_and_admin_statistics(bootstrap: str, topic: str) -> None:
    c_docs, a_docs = Collector(), Collector()
    c = consumer_for(bootstrap, topic, additional_config=_stats(c_docs))
    adm = klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers=bootstrap, additional_config=_stats(a_docs)))
    try:
        c.consume_messages(max_messages=1, timeout=0.5)
        assert topic in adm.list_topics(timeout=10)
        c_docs.wait(lambda d: d["type"] == "consumer")
        # An admin client is a librdkafka producer instance.
        a_docs.wait(lambda d: d["type"] == "producer")
        assert not c_docs.names() & a_docs.names()
    finally:
        c.close()
        adm.close()


def test_raising_stats_cb_is_logged_and_statistics_go_on(bootstrap: str, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def bad(text: str) -> None:
        calls.append(text)
        raise RuntimeError("boom in stats_cb")

    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, additional_config=_stats(bad)))
    try:
        with caplog.at_level(logging.ERROR, logger="klient.producer"):
            p.flush(1)
            deadline = time.monotonic() + 10
            while len(calls) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert len(calls) >= 2, "the callback was not called again after raising"
        rec = next(r for r in caplog.records if r.name == "klient.producer" and "stats_cb raised" in r.getMessage())
        assert rec.exc_info and "boom in stats_cb" in str(rec.exc_info[1])
    finally:
        p.close()


def test_stats_cb_is_not_sent_to_the_library() -> None:
    def cb(_text: str) -> None:
        pass

    conf = klient.ProducerConfig(additional_config={"stats_cb": cb, "statistics.interval.ms": 1000})
    assert "stats_cb" not in conf.to_dict() and conf.to_dict()["statistics.interval.ms"] == 1000
    # The released package's dict (for confluent-kafka) keeps it.
    assert conf.to_confluent_config()["stats_cb"] is cb
    assert "stats_cb" not in klient.ConsumerConfig(bootstrap_servers="x", group_id="g", additional_config={"stats_cb": cb}).to_dict()
    assert "stats_cb" not in klient.AdminConfig(additional_config={"stats_cb": cb}).to_dict()
    # repr masks the properties around it (a callable is no JSON the mask could take).
    r = repr(klient.ProducerConfig(additional_config={"stats_cb": cb, "sasl.password": "secret"}))
    assert "'sasl.password': '***MASKED***'" in r and "'stats_cb': <function" in r and "secret" not in r


def test_stats_cb_must_be_callable(bootstrap: str) -> None:
    with pytest.raises(klient.errors.KafkaProducerTypeError, match="stats_cb.*callable"):
        klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, additional_config={"stats_cb": "not callable"})).flush(0.1)
    a = klient.KafkaAdmin(klient.AdminConfig(bootstrap_servers=bootstrap, additional_config={"stats_cb": 3}))
    with pytest.raises(TypeError, match="stats_cb.*callable"):
        a.list_topics(timeout=1)
