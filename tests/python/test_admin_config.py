"""Admin, configuration loading (resolve_env_config, from_env_config), masking."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import klient
from klient import AdminConfig, KafkaAdmin, TopicMetadata, resolve_env_config
from klient.config import extract_bootstrap, mask_config, split_config, split_env_config

from conftest import uid


def test_spec_admin_example(bootstrap: str) -> None:
    name = uid("events")
    admin = KafkaAdmin(AdminConfig(bootstrap_servers=bootstrap))
    assert admin.create_topics([{"topic": name, "num_partitions": 1, "replication_factor": 1}]) == {name: True}
    assert name in admin.list_topics() and "__consumer_offsets" in admin.list_topics()
    assert "__consumer_offsets" not in admin.list_topics(include_internal=False)
    assert admin.topic_exists(name)
    desc = admin.describe_topics([name, uid("missing")])
    assert desc == {name: TopicMetadata(name, 1, 1, desc[name].config)} and desc[name].config["cleanup.policy"] == "delete"
    assert admin.create_topics([TopicMetadata(name, 1, 1)]) == {name: False}  # exists already
    assert admin.create_topics([TopicMetadata(name, 1, 1)], validate_only=True) == {name: False}
    rf = uid("rf")
    assert admin.create_topics([TopicMetadata(rf, 1, 5)], validate_only=True) == {rf: False}  # 1 broker
    assert admin.delete_topics([name]) == {name: True}
    assert admin.delete_topics([name]) == {name: False}
    assert "open" in repr(admin)
    admin.close()
    admin.close()
    assert "closed" in repr(admin)
    with pytest.raises(klient.KafkaAdminError, match="closed"):
        admin.list_topics()
    assert admin.topic_exists(name) is False  # like the released package: a failure answers False


def test_admin_variants_and_errors(admin: KafkaAdmin) -> None:
    name = uid("cfg")
    plain = uid("plain")
    res = admin.create_topics([{"name": name, "partitions": 2, "config": {"retention.ms": 60000}}, plain,
                               TopicMetadata(uid("tm"), 1, 1, {"cleanup.policy": "compact"})])
    assert all(v is True for v in res.values()) and len(res) == 3
    fresh = uid("v")
    assert admin.create_topics([fresh], validate_only=True) == {fresh: True} and not admin.topic_exists(fresh)
    desc: dict = {}
    for _ in range(50):  # metadata of a topic just created takes a moment to propagate
        desc = admin.describe_topics([name])
        if desc:
            break
        time.sleep(0.1)
    assert desc[name].partitions == 2 and desc[name].config["retention.ms"] == "60000"
    assert set(res) <= set(admin.describe_topics())
    assert admin.describe_topics([uid("missing")]) == {}  # left out, as released
    md = admin.get_cluster_metadata()
    assert md["cluster_id"] and md["controller_id"] >= 0 and md["brokers"][0]["port"] > 0
    assert md["topics_count"] == len(md["topics"]) and name in md["topics"]
    assert admin.delete_topics(list(res)) == {t: True for t in res}
    for bad, exc in [("events", TypeError), ({"topic": "x"}, TypeError), ([], ValueError), ([3], TypeError),
                     ([{"topic": ""}], ValueError), ([{"topic": "x", "bogus": 1}], ValueError),
                     ([{"topic": "x", "num_partitions": "1"}], TypeError), ([{"topic": "x", "num_partitions": -2}], ValueError),
                     ([{"topic": "x", "config": "c"}], TypeError)]:
        with pytest.raises(exc) as ei:
            admin.create_topics(bad)  # type: ignore[arg-type]
        assert isinstance(ei.value, klient.KafkaAdminError)
    for bad, exc in [("events", TypeError), (3, TypeError), ([], ValueError), ([""], TypeError)]:
        with pytest.raises(exc):
            admin.delete_topics(bad)  # type: ignore[arg-type]
    for bad_timeout, exc in [("1", TypeError), (-1, ValueError)]:
        with pytest.raises(exc):
            admin.list_topics(bad_timeout)  # type: ignore[arg-type]
    with pytest.raises(klient.KafkaAdminError):
        admin.topic_exists(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AdminConfig"):
        KafkaAdmin(klient.ProducerConfig())  # type: ignore[arg-type]
    with KafkaAdmin(admin.config) as scoped:
        assert scoped.list_topics(None) and "open" in repr(scoped)  # None: no time limit
    assert "closed" in repr(scoped)
    lazy = KafkaAdmin(AdminConfig(additional_config={"no.such.property": "1"}))  # created at the first call
    with pytest.raises(klient.KafkaAdminError) as ei:
        lazy.list_topics()
    assert isinstance(ei.value, klient.KlientConfigError) and "no.such.property" in str(ei.value)
    assert lazy.topic_exists("x") is False


def write_config(tmp_path: Path, bootstrap: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({
        "default": {"bootstrap.servers": bootstrap, "client.id": "app-base"},
        "prod-producer": {"compression.type": "lz4", "linger.ms": 25},
        "prod-consumer": {"auto.offset.reset": "earliest", "fetch.max.bytes": 5242880},
        "dev": {
            "bootstrap_servers": bootstrap,
            "producer": {"linger_ms": 5, "acks": "all"},
            "consumer": {"group_id": "demo-group", "auto_offset_reset": "earliest", "enable_auto_commit": False},
            "admin": {"security_protocol": "PLAINTEXT"},
        },
        "secret": {"sasl.password": "hunter2", "sasl.username": "bob"},
    }))
    return path


def test_resolve_env_config(tmp_path: Path, bootstrap: str, monkeypatch) -> None:
    path = write_config(tmp_path, bootstrap)
    raw = resolve_env_config("prod-producer", str(path))
    assert raw == {"bootstrap.servers": bootstrap, "client.id": "app-base", "compression.type": "lz4", "linger.ms": 25}
    assert resolve_env_config(None, str(path)) == {"bootstrap.servers": bootstrap, "client.id": "app-base"}
    # The released rules: an unknown env gives the default section.
    assert resolve_env_config("nope", str(path)) == {"bootstrap.servers": bootstrap, "client.id": "app-base"}
    assert resolve_env_config("dev", explicit_file=str(tmp_path / "missing.json")) == {}
    assert resolve_env_config("prod-producer", config_file=str(path))["linger.ms"] == 25
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"bootstrap.servers": "f:1", "acks": "1"}))
    assert resolve_env_config("any", str(flat)) == {"bootstrap.servers": "f:1", "acks": "1"}
    assert resolve_env_config(None, str(flat)) == {"bootstrap.servers": "f:1", "acks": "1"}
    (tmp_path / "list.json").write_text("[1]")
    assert resolve_env_config(None, str(tmp_path / "list.json")) == {}
    monkeypatch.setenv("KLIENT_CONFIG_FILE", str(path))
    assert resolve_env_config("prod-consumer")["fetch.max.bytes"] == 5242880
    bad = tmp_path / "bad.json"
    bad.write_text('{"default": {"a": 1,}}')
    with pytest.raises(klient.KlientConfigError, match="line 1"):
        resolve_env_config("x", str(bad))
    with pytest.raises(ValueError, match="Failed to read"):
        resolve_env_config("x", str(tmp_path))  # a directory
    with pytest.raises(TypeError):
        resolve_env_config(3)  # type: ignore[arg-type]


def test_resolve_env_config_home_at_call_time(tmp_path: Path, monkeypatch) -> None:
    """~ is the HOME of the moment (the Go runtime would see the one the process started with)."""
    monkeypatch.delenv("KLIENT_CONFIG_FILE", raising=False)
    home = tmp_path / "home"
    (home / ".kafka").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert resolve_env_config("dev", None) == {}
    (home / ".kafka" / "dev.json").write_text(json.dumps({"bootstrap.servers": "legacy:1"}))
    assert resolve_env_config("dev", None) == {"bootstrap.servers": "legacy:1"}  # legacy per-env file
    (home / ".kafka" / "config.json").write_text(json.dumps({"default": {"bootstrap.servers": "d:1"}, "dev": {"acks": "1"}}))
    assert resolve_env_config("dev", None) == {"bootstrap.servers": "d:1", "acks": "1"}
    (home / ".kafka" / "x.json").write_text(json.dumps({"default": {"a": "b"}}))
    assert resolve_env_config(None, "~/.kafka/x.json") == {"a": "b"}


def test_role_config_order_and_names(tmp_path: Path) -> None:
    from klient.config import role_config

    f = tmp_path / "c.json"
    f.write_text(json.dumps({"e": {"z_last": "1", "log_level": 3, "a.first": "2", "admin": {"b_x": "3"}}}))
    assert list(role_config("e", str(f), "admin").items()) == [("z.last", "1"), ("log_level", 3), ("a.first", "2"), ("b.x", "3")]


def test_split_env_config_and_extract_bootstrap() -> None:
    assert split_env_config({}) == ({}, {}, {})
    flat = {"bootstrap.servers": "b:1"}
    assert split_env_config(flat) == (flat, flat, flat)
    raw = {"common": {"bootstrap.servers": "c:1", "acks": "1"}, "producer": {"acks": "all"}, "admin": 3}
    prod, cons, adm = split_env_config(raw)
    assert prod == {"bootstrap.servers": "c:1", "acks": "all"} and cons == adm == raw["common"]
    assert extract_bootstrap([{}, cons]) == "c:1" and extract_bootstrap([{}]) is None
    with pytest.raises(TypeError):
        split_env_config([])  # type: ignore[arg-type]


def test_spec_role_specific_example(tmp_path: Path, bootstrap: str, monkeypatch) -> None:
    monkeypatch.setenv("KLIENT_CONFIG_FILE", str(write_config(tmp_path, bootstrap)))
    from klient import ConsumerConfig, KafkaConsumer, KafkaProducer, ProducerConfig, resolve_env_config

    producer_raw = resolve_env_config('prod-producer', None)
    consumer_raw = resolve_env_config('prod-consumer', None)
    producer = KafkaProducer(ProducerConfig(
        bootstrap_servers=producer_raw['bootstrap.servers'],
        additional_config={k: v for k, v in producer_raw.items() if k != 'bootstrap.servers'}
    ))
    consumer = KafkaConsumer(ConsumerConfig(
        bootstrap_servers=consumer_raw['bootstrap.servers'],
        group_id=uid('analytics-group'),
        additional_config={k: v for k, v in consumer_raw.items() if k not in ('bootstrap.servers', 'group.id')}
    ))
    consumer.subscribe([uid('input-topic')])
    assert producer.produce(uid("t"), value=b"x", flush=True).status == "success"  # auto-created topic
    producer.close()
    consumer.close()


def test_from_env_config_factories(tmp_path: Path, bootstrap: str, topic: str) -> None:
    path = str(write_config(tmp_path, bootstrap))
    from klient.producer import KafkaProducer
    prod = KafkaProducer.from_env_config("dev", config_file=path)
    assert prod.config.to_dict()["linger.ms"] == 5 and prod.config.bootstrap_servers == bootstrap
    assert prod.produce(topic, value=b"env", flush=True).status == "success"
    prod.close()
    from klient.consumer import KafkaConsumer
    cons = KafkaConsumer.from_env_config("dev", topics=[topic], config_file=path)
    assert cons.config.group_id == "demo-group" and cons.config.to_dict()["enable.auto.commit"] is False
    assert cons.subscription == [topic]
    cons.close()
    from klient.admin import KafkaAdmin
    adm = KafkaAdmin.from_env_config("dev", config_file=path)
    assert topic in adm.list_topics()
    assert adm.config.additional_config == {"client.id": "app-base", "security.protocol": "PLAINTEXT"}
    assert list(adm.config.additional_config) == ["client.id", "security.protocol"]  # the file's order
    adm.close()
    with pytest.raises((klient.KafkaConsumerError, ValueError), match="group"):
        KafkaConsumer.from_env_config("prod-consumer", topics=[topic], config_file=path)
    with pytest.raises(TypeError, match="list"):
        KafkaConsumer.from_env_config("dev", topics=topic, config_file=path)  # type: ignore[arg-type]
    c2 = KafkaConsumer.from_env_config("prod-consumer", topics=[topic], config_file=path, group_id=uid("g"))
    assert c2.config.to_dict()["auto.offset.reset"] == "earliest"
    c2.close()


def test_masking_and_split(tmp_path: Path, bootstrap: str) -> None:
    raw = resolve_env_config("secret", str(write_config(tmp_path, bootstrap)))
    masked = mask_config(raw)
    assert masked["sasl.password"] == "***MASKED***" and "hunter2" not in json.dumps(masked)
    cfg = klient.ProducerConfig(bootstrap_servers=bootstrap, additional_config=raw)
    assert "hunter2" not in repr(cfg) and "***MASKED***" in repr(cfg)
    odd = AdminConfig(additional_config={"sasl.password": object()})  # not JSON: masked in Python
    assert "***MASKED***" in repr(odd) and "object" not in repr(odd)
    acfg = AdminConfig(additional_config={"ssl.key.password": "pw"})
    assert "pw'" not in repr(acfg)
    sections = split_config({"bootstrap_servers": "b:1", "producer": {"linger_ms": 5}})
    assert sections["producer"] == {"bootstrap.servers": "b:1", "linger.ms": 5}
    assert sections["consumer"] == {"bootstrap.servers": "b:1"}
    with pytest.raises(klient.KlientConfigError):
        split_config({"producer": 3})
    with pytest.raises(TypeError):
        split_config([])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mask_config("x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON"):
        split_config({"a": object()})


def test_config_dataclasses() -> None:
    for kw in ({"bootstrap_servers": ""}, {"bootstrap_servers": None}, {"transactional_id": 3}, {"acks": True},
               {"acks": 1.5}, {"linger_ms": 1.5}, {"retries": None}, {"enable_idempotence": 1},
               {"compression_type": None}, {"additional_config": "x"}, {"additional_config": {1: 2}}, {"client_id": ""}):
        with pytest.raises((TypeError, ValueError)) as ei:
            klient.ProducerConfig(**kw)  # type: ignore[arg-type]
        assert isinstance(ei.value, klient.KafkaProducerError)
    assert klient.ProducerConfig(linger_ms="5", retries="3").to_confluent_config()["linger.ms"] == "5"
    plain = klient.ProducerConfig("b:1")
    assert plain.to_confluent_config() == {
        "bootstrap.servers": "b:1", "acks": "all", "retries": 3, "batch.size": 16384, "linger.ms": 0,
        "compression.type": "none", "max.in.flight.requests.per.connection": 5, "enable.idempotence": True}
    tx = klient.ProducerConfig("b:1", "1", transactional_id="t", client_id="c", enable_idempotence=False, additional_config={"retries": 7})
    assert tx.to_dict() == {
        "bootstrap.servers": "b:1", "acks": "all", "retries": 7, "batch.size": 16384, "linger.ms": 0,
        "compression.type": "none", "max.in.flight.requests.per.connection": 5, "enable.idempotence": True,
        "transactional.id": "t", "transaction.timeout.ms": 60000, "client.id": "c"}
    c = klient.ConsumerConfig("b:1", "g", "latest", False, topics=("t",), client_id="c", additional_config={"klient.prefetch.messages": 5})
    assert c.auto_offset_reset == "latest" and c.enable_auto_commit is False and c.topics == ["t"]
    assert c.to_dict() == {
        "bootstrap.servers": "b:1", "group.id": "g", "auto.offset.reset": "latest", "enable.auto.commit": False,
        "auto.commit.interval.ms": 1000, "session.timeout.ms": 30000, "heartbeat.interval.ms": 10000,
        "isolation.level": "read_committed", "klient.prefetch.messages": 5, "client.id": "c"}
    assert "max.poll.records" not in c.to_confluent_config() and c.max_poll_records == 500
    for kw in ({"group_id": None}, {"isolation_level": "x"}, {"topics": "t"}, {"topics": [""]}, {"enable_auto_commit": None},
               {"session_timeout_ms": 1.5}):
        with pytest.raises((TypeError, ValueError)) as ei:
            klient.ConsumerConfig(**{"bootstrap_servers": "b:1", "group_id": "g", **kw})  # type: ignore[arg-type]
        assert isinstance(ei.value, klient.KafkaConsumerError)
    assert AdminConfig("b:1", 5000, {"x.y": "z"}).to_confluent_config() == {"bootstrap.servers": "b:1", "request.timeout.ms": 5000, "x.y": "z"}
    assert AdminConfig(client_id="a").to_dict() == {"bootstrap.servers": "localhost:9092", "request.timeout.ms": 30000, "client.id": "a"}
    with pytest.raises(klient.KafkaAdminError):
        AdminConfig(request_timeout_ms=None)  # type: ignore[arg-type]
