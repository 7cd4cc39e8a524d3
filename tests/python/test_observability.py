"""Metrics shared with the core, events in logging, errors, version."""

from __future__ import annotations

import json
import logging

import pytest

import klient
from klient import metrics
from klient.errors import KlientError, error_class

from conftest import uid


def test_metrics_api() -> None:
    name = uid("m")
    assert metrics.get(name) == 0
    metrics.inc(name)
    metrics.inc(name, 41)
    assert metrics.get(name) == 42
    assert metrics.snapshot()[name] == 42
    assert "_total" in metrics.prometheus()
    with pytest.raises(TypeError):
        metrics.inc("", 1)
    with pytest.raises(TypeError):
        metrics.inc(name, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        metrics.get(3)  # type: ignore[arg-type]


def test_core_counter_visible_after_transaction(bootstrap: str, topic: str) -> None:
    from klient.metrics import snapshot

    before = metrics.get("producer.tx.begin")
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, transactional_id=uid("tx")))
    with p.transaction():
        p.produce(topic, value=b"x")
    p.close()
    assert metrics.get("producer.tx.begin") == before + 1
    assert snapshot()["producer.tx.commit"] >= 1


def test_events_reach_logging(bootstrap: str, topic: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="klient")
    tid = uid("tx")
    p = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap, transactional_id=tid))
    with p.transaction():
        p.produce(topic, value=b"x")
    p.close()
    # Transaction events are the producer's: on klient.producer (a child of klient), the
    # JSON line as the message and its fields as record attributes.
    recs = [r for r in caplog.records if getattr(r, "event", None) == "transaction_commit" and getattr(r, "transaction_id", None) == tid]
    assert recs and recs[0].name == "klient.producer" and recs[0].duration_ms >= 0
    assert json.loads(recs[0].getMessage())["transaction_id"] == tid


def test_metrics_reset_last() -> None:
    metrics.inc("reset.me", 3)
    metrics.reset()
    assert metrics.get("reset.me") == 0 and metrics.snapshot().get("reset.me") is None
    assert list(metrics.snapshot())[:11] == list(metrics.RELEASED_COUNTERS) and set(metrics.snapshot().values()) == {0}
    metrics.inc("zz.first")
    metrics.inc("aa.second", 2)
    assert list(metrics.snapshot().items())[11:13] == [("zz.first", 1), ("aa.second", 2)]  # first-increment order
    metrics.reset()


def test_error_classes() -> None:
    assert error_class("producer", klient.errors.ERR_FENCED) is klient.KafkaProducerFencedError
    assert error_class("producer", klient.errors.ERR_KAFKA, fatal=True) is klient.KafkaProducerFatalError
    assert error_class("producer", klient.errors.ERR_KAFKA, retriable=True) is klient.KafkaProducerRetriableError
    assert error_class("producer", klient.errors.ERR_KAFKA) is klient.KafkaProducerError
    assert error_class("consumer", klient.errors.ERR_REBALANCE) is klient.KafkaConsumerRebalanceError
    assert error_class("consumer", klient.errors.ERR_KAFKA, fatal=True) is klient.KafkaConsumerFatalError
    assert error_class("consumer", klient.errors.ERR_KAFKA, retriable=True) is klient.KafkaConsumerRetriableError
    assert error_class("consumer", klient.errors.ERR_KAFKA) is klient.KafkaConsumerError
    assert error_class("admin", klient.errors.ERR_CONFIG) is klient.errors.KafkaAdminConfigError
    assert error_class("producer", klient.errors.ERR_CONFIG) is klient.errors.KafkaProducerConfigError
    assert error_class("consumer", klient.errors.ERR_CONFIG) is klient.errors.KafkaConsumerConfigError
    assert error_class("klient", klient.errors.ERR_CONFIG) is klient.KlientConfigError
    assert issubclass(klient.errors.KafkaProducerConfigError, (klient.KafkaProducerError, ValueError))
    assert error_class("relay", 5) is klient.KafkaRelayError
    assert issubclass(klient.KafkaProducerFencedError, klient.KafkaProducerError)
    e = KlientError("m", code=5, kafka_code=7)
    assert e.kind == "kafka" and "kafka_code=7" in repr(e)
    assert KlientError("m", code=99).kind == "unknown"


def test_error_code_sets() -> None:
    from klient.producer import FATAL_ERROR_CODES, FENCING_ERROR_CODES, RETRIABLE_ERROR_CODES

    assert RETRIABLE_ERROR_CODES and FATAL_ERROR_CODES and FENCING_ERROR_CODES
    assert 90 in FENCING_ERROR_CODES  # PRODUCER_FENCED
    assert not RETRIABLE_ERROR_CODES & FATAL_ERROR_CODES


def test_version() -> None:
    assert klient.__version__ and klient._native.lib.klient_abi_version() == 1
