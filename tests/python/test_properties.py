"""Property test of the produce path (issue 13): any topic suffix, key, value, headers,
partition and timestamp either raise a documented error or land exactly as given,
read back by an independent client (confluent-kafka)."""

from __future__ import annotations

import time

import confluent_kafka
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import klient
from klient import errors as e

PARTITIONS = 3
INT64_MAX = 2**63 - 1
NOW_MS = int(time.time() * 1000)

_nul_text = st.tuples(st.text(max_size=4), st.text(max_size=4)).map(lambda ab: ab[0] + "\x00" + ab[1])
_bytes_or_str = st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=32), st.just("\ud800"))

messages = st.fixed_dictionaries({
    "suffix": st.one_of(st.just(""), _nul_text),
    "key": _bytes_or_str,
    "value": _bytes_or_str,
    "headers": st.one_of(
        st.none(),
        st.lists(st.tuples(st.one_of(st.text(min_size=1, max_size=8), _nul_text), st.one_of(st.none(), st.binary(max_size=16))),
                 max_size=3),
    ),
    "partition": st.one_of(st.none(), st.integers(-3, PARTITIONS + 1), st.integers(2**31 - 2, 2**33), st.integers(-(2**40), -2)),
    "timestamp": st.one_of(st.none(), st.integers(1, NOW_MS), st.integers(-(2**70), -1), st.integers(INT64_MAX + 1, 2**70)),
})


def _encodable(x: object) -> bool:
    return not isinstance(x, str) or "\ud800" not in x


def _expected_error(m: dict) -> type[Exception] | None:
    """The documented error for a message, or None when it must land."""
    if "\x00" in m["suffix"] or any("\x00" in k for k, _ in m["headers"] or []):
        return e.KafkaProducerValueError
    if not (_encodable(m["key"]) and _encodable(m["value"])):
        return e.KafkaProducerValueError  # UnicodeEncodeError, as a KafkaProducerError
    p, ts = m["partition"], m["timestamp"]
    if p is not None and not -1 <= p <= 2**31 - 1 or ts is not None and not 0 <= ts <= INT64_MAX:
        return e.KafkaProducerValueError
    if p is not None and p >= PARTITIONS:
        return e.KafkaProducerError  # the released package raises for a missing partition
    return None


def _b(x: bytes | str | None) -> bytes | None:
    return x.encode() if isinstance(x, str) else x


def test_produce_lands_exactly_or_raises(bootstrap: str, make_topic) -> None:
    # Timestamps reach back to 1970: with the default 7-day retention the broker may
    # delete them (its retention check runs every 5 min) before they are read back.
    topic = make_topic(PARTITIONS, config={"retention.ms": "-1"})
    producer = klient.KafkaProducer(klient.ProducerConfig(bootstrap_servers=bootstrap))
    landed: dict[tuple[int, int], dict] = {}
    outcomes = {"landed": 0, "refused": 0}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(messages)
    def produce_one(m: dict) -> None:
        want = _expected_error(m)
        call = lambda: producer.produce(topic + m["suffix"], m["value"], m["key"], m["headers"], m["partition"],  # noqa: E731
                                        flush=True, timestamp=m["timestamp"], timeout=30)
        if want is not None:
            try:
                call()
            except want:
                outcomes["refused"] += 1
                return
            raise AssertionError(f"no {want.__name__} for {m!r}")
        r = call()
        assert r.status == "success", (r, m)
        if m["partition"] is not None and m["partition"] >= 0:
            assert r.partition == m["partition"]
        landed[(r.partition, r.offset)] = m
        outcomes["landed"] += 1

    try:
        produce_one()
    finally:
        producer.close()
    assert outcomes["landed"] >= 10 and outcomes["refused"] >= 10, outcomes

    # Read everything back with confluent-kafka: exactly the landed messages, as given.
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-check", "enable.auto.commit": False})
    c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got: dict[tuple[int, int], confluent_kafka.Message] = {}
    deadline = time.monotonic() + 30
    try:
        while len(got) < len(landed) and time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is not None and not msg.error():
                got[(msg.partition(), msg.offset())] = msg
    finally:
        c.close()
    assert set(got) == set(landed)
    for where, m in landed.items():
        msg = got[where]
        assert msg.key() == _b(m["key"]), (where, m)
        assert msg.value() == _b(m["value"]), (where, m)
        assert [(k, v) for k, v in (msg.headers() or [])] == [(k, v) for k, v in (m["headers"] or [])], (where, m)
        if m["timestamp"] is not None:
            assert msg.timestamp()[1] == m["timestamp"], (where, m)
