"""Admin, configuration loading (resolve_env_config, from_env_config), masking."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import klient
from klient import AdminConfig, KafkaAdmin, resolve_env_config
from klient.config import mask_config, split_config

from conftest import uid


def test_spec_admin_example(bootstrap: str) -> None:
    name = uid("events")
    admin = KafkaAdmin(AdminConfig(bootstrap_servers=bootstrap))
    assert admin.create_topics([{"topic": name, "num_partitions": 1, "replication_factor": 1}]) == {name: None}
    assert name in admin.list_topics()
    desc = admin.describe_topics([name])
    assert desc[name]["partitions"][0]["partition"] == 0 and desc[name]["internal"] is False
    again = admin.create_topics([{"topic": name, "num_partitions": 1, "replication_factor": 1}])
    assert again[name] and "exist" in again[name].lower()
    assert admin.delete_topics([name]) == {name: None}
    assert "open" in repr(admin)
    admin.close()
    admin.close()
    assert "closed" in repr(admin)
    with pytest.raises(klient.KafkaAdminError, match="closed"):
        admin.list_topics()


def test_admin_variants_and_errors(admin: KafkaAdmin) -> None:
    name = uid("cfg")
    res = admin.create_topics([{"name": name, "num_partitions": 2, "config": {"retention.ms": 60000}}, uid("plain")])
    assert all(v is None for v in res.values())
    desc = None
    for _ in range(50):  # metadata of a topic just created takes a moment to propagate
        try:
            desc = admin.describe_topics([name])
            break
        except klient.KafkaAdminError:
            time.sleep(0.1)
    assert desc is not None and len(desc[name]["partitions"]) == 2
    assert "__consumer_offsets" in admin.list_topics(include_internal=True) or True
    with pytest.raises(klient.KafkaAdminError) as ei:
        admin.describe_topics([uid("missing")])
    assert ei.value.kind == "not found"
    admin.delete_topics(list(res))
    for bad, exc in [("events", TypeError), ({"topic": "x"}, TypeError), ([], ValueError), ([3], TypeError),
                     ([{"topic": ""}], ValueError), ([{"topic": "x", "partitions": 1}], ValueError),
                     ([{"topic": "x", "num_partitions": "1"}], ValueError)]:
        with pytest.raises(exc):
            admin.create_topics(bad)  # type: ignore[arg-type]
    for bad, exc in [("events", TypeError), (3, TypeError), ([], ValueError), ([""], TypeError)]:
        with pytest.raises(exc):
            admin.delete_topics(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AdminConfig"):
        KafkaAdmin(klient.ProducerConfig())  # type: ignore[arg-type]


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
    assert resolve_env_config("nope", str(path)) == {}
    assert resolve_env_config("dev", str(tmp_path / "missing.json")) == {}
    monkeypatch.setenv("KLIENT_CONFIG_FILE", str(path))
    assert resolve_env_config("prod-consumer")["fetch.max.bytes"] == 5242880
    bad = tmp_path / "bad.json"
    bad.write_text('{"default": {"a": 1,}}')
    with pytest.raises(klient.KlientConfigError, match="line 1"):
        resolve_env_config("x", str(bad))
    with pytest.raises(TypeError):
        resolve_env_config(3)  # type: ignore[arg-type]


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
    assert producer.produce(uid("t"), value=b"x").status == "success"  # auto-created topic
    producer.close()
    consumer.close()


def test_from_env_config_factories(tmp_path: Path, bootstrap: str, topic: str) -> None:
    path = str(write_config(tmp_path, bootstrap))
    from klient.producer import KafkaProducer
    prod = KafkaProducer.from_env_config("dev", config_file=path)
    assert prod.config.linger_ms == 5 and prod.config.bootstrap_servers == bootstrap
    assert prod.produce(topic, value=b"env").status == "success"
    prod.close()
    from klient.consumer import KafkaConsumer
    cons = KafkaConsumer.from_env_config("dev", topics=[topic], config_file=path)
    assert cons.config.group_id == "demo-group" and cons.config.enable_auto_commit is False
    assert cons.subscription == [topic]
    cons.close()
    from klient.admin import KafkaAdmin
    adm = KafkaAdmin.from_env_config("dev", config_file=path)
    assert topic in adm.list_topics()
    assert adm.config.additional_config == {"security.protocol": "PLAINTEXT"}
    adm.close()
    with pytest.raises(klient.KlientConfigError, match="group"):
        KafkaConsumer.from_env_config("prod-consumer", topics=[topic], config_file=path)
    with pytest.raises(TypeError, match="list"):
        KafkaConsumer.from_env_config("dev", topics=topic, config_file=path)  # type: ignore[arg-type]
    c2 = KafkaConsumer.from_env_config("prod-consumer", topics=[topic], config_file=path, group_id=uid("g"))
    assert c2.config.auto_offset_reset == "earliest"
    c2.close()


def test_masking_and_split(tmp_path: Path, bootstrap: str) -> None:
    raw = resolve_env_config("secret", str(write_config(tmp_path, bootstrap)))
    masked = mask_config(raw)
    assert masked["sasl.password"] == "********" and "hunter2" not in json.dumps(masked)
    cfg = klient.ProducerConfig(bootstrap_servers=bootstrap, additional_config=raw)
    assert "hunter2" not in repr(cfg) and "********" in repr(cfg)
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


def test_producer_config_validation() -> None:
    for kw in ({"bootstrap_servers": ""}, {"transactional_id": 3}, {"acks": True}, {"acks": 1.5},
               {"linger_ms": -1}, {"linger_ms": "5"}, {"additional_config": "x"}, {"client_id": ""}):
        with pytest.raises(TypeError):
            klient.ProducerConfig(**kw)  # type: ignore[arg-type]
    d = klient.ProducerConfig(transactional_id="t", client_id="c", linger_ms=0, additional_config={"acks": "1"}).to_dict()
    assert d == {"bootstrap.servers": "localhost:9092", "acks": "1", "transactional.id": "t", "client.id": "c", "linger.ms": 0}
    assert AdminConfig(client_id="a").to_dict() == {"bootstrap.servers": "localhost:9092", "client.id": "a"}
