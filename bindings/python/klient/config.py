"""Configuration: dataclass configs for the clients and the environment-aware loader.

The dataclasses have the released package's fields, in its order and with its defaults,
then klient's additions (``topics`` and ``client_id``). ``to_confluent_config()`` returns
the released dict; ``to_dict()`` is what klient hands to libklient (the same properties
plus klient's own).

``resolve_env_config(env, explicit_file)`` reads one JSON file (``~/.kafka/config.json``
by default) in Python, at call time, so ``~`` is the current ``os.environ['HOME']`` (the Go
runtime inside libklient only sees the environment the process started with).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import _native, _stats
from . import errors as _e
from ._native import lib

__all__ = [
    "ProducerConfig",
    "ConsumerConfig",
    "AdminConfig",
    "resolve_env_config",
    "split_env_config",
    "extract_bootstrap",
    "split_config",
    "mask_config",
    "DEFAULT_BOOTSTRAP",
]

DEFAULT_BOOTSTRAP = "localhost:9092"
_ROLE_SECTIONS = ("common", "producer", "consumer", "admin")


def _load_file(path: Path) -> Any:
    """The decoded JSON of ``path``, {} when it does not exist."""
    if not path.exists():
        return {}
    try:
        with path.open("r", encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise _e.KlientConfigError(f"Invalid JSON in config file {path}: {e}", code=_e.ERR_CONFIG) from None
    except (OSError, UnicodeDecodeError) as e:
        raise _e.KlientConfigError(f"Failed to read config file {path}: {e}", code=_e.ERR_CONFIG) from None


def resolve_env_config(env: str | None = None, explicit_file: str | os.PathLike[str] | None = None, *, config_file: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The raw configuration of ``env``, with the released package's rules.

    The file is ``explicit_file`` (``config_file`` is an alias), else
    ``$KLIENT_CONFIG_FILE``, else ``~/.kafka/config.json``. With ``env``: the ``default``
    object overlaid by the ``env`` object; an unknown env gives ``default``; a file
    without either that holds ``bootstrap.servers`` at the top is returned whole. Without
    ``env``: ``default``, else the whole file. When the default file is missing or empty,
    the legacy ``~/.kafka/{env}.json`` is read instead. A missing file gives ``{}``; a
    malformed one raises :class:`klient.KlientConfigError` (a ValueError) naming it.
    """
    if explicit_file is None:
        explicit_file = config_file
    _check_opt_str(env, "env")
    _check_opt_str(explicit_file, "explicit_file")
    if not explicit_file:
        explicit_file = os.environ.get("KLIENT_CONFIG_FILE") or None
    # expanduser reads os.environ['HOME'] now, not when the process started.
    home_dir = Path(os.path.expanduser("~")) / ".kafka"
    path = Path(os.path.expanduser(os.fsdecode(explicit_file))) if explicit_file else home_dir / "config.json"
    raw = _load_file(path)
    if not isinstance(raw, dict):
        return {}
    if not explicit_file and env and not raw and (home_dir / f"{env}.json").exists():
        legacy = _load_file(home_dir / f"{env}.json")
        return legacy if isinstance(legacy, dict) else {}
    default = raw.get("default") if isinstance(raw.get("default"), dict) else {}
    if not env:
        return dict(default or raw)
    named = raw.get(env) if isinstance(raw.get(env), dict) else {}
    if not default and not named and "bootstrap.servers" in raw:
        return dict(raw)
    return {**default, **named}


def split_env_config(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(producer, consumer, admin)`` maps of a raw config, as the released package
    splits it: each is the ``common`` section overlaid by the role's section; a config
    with none of these sections is returned as all three. Keys are left as written."""
    if not isinstance(raw, Mapping):
        raise TypeError(f"config must be a mapping, got {type(raw).__name__}")
    if not raw:
        return {}, {}, {}

    def section(name: str) -> dict[str, Any]:
        sec = raw.get(name)
        return dict(sec) if isinstance(sec, Mapping) else {}

    common = section("common")
    prod = {**common, **section("producer")}
    cons = {**common, **section("consumer")}
    adm = {**common, **section("admin")}
    if not (prod or cons or adm or common):
        return dict(raw), dict(raw), dict(raw)
    return prod, cons, adm


def extract_bootstrap(raw_sections: Sequence[Mapping[str, Any]]) -> str | None:
    """The first ``bootstrap.servers`` of ``raw_sections``, or None."""
    for section in raw_sections:
        if "bootstrap.servers" in section:
            return section["bootstrap.servers"]
    return None


def split_config(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Split a raw config into ``{"common", "producer", "consumer", "admin"}`` maps with
    librdkafka property names (``bootstrap_servers`` becomes ``bootstrap.servers``); each
    role map is the flat keys overlaid by its section."""
    if not isinstance(raw, Mapping):
        raise TypeError(f"config must be a mapping, got {type(raw).__name__}")
    return _native.call_json(lib.klient_config_split, _dumps(raw), op="split_config")


def mask_config(conf: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``conf`` with every secret (password, token, key...) replaced by ``***MASKED***``."""
    if not isinstance(conf, Mapping):
        raise TypeError(f"config must be a mapping, got {type(conf).__name__}")
    return _native.call_json(lib.klient_config_mask, _dumps(conf), op="mask_config")


def role_config(env: str | None, config_file: str | None, role: str) -> dict[str, Any]:
    """The ``role`` ("producer", "consumer", "admin") properties of ``env`` with
    librdkafka names, for the ``from_env_config`` factories: the flat keys, overlaid by
    the ``common`` section, overlaid by the role's section. (The released package drops
    the flat keys as soon as a file has a section, and then connects to localhost:9092;
    see COMPATIBILITY.md PY-A3.)"""
    raw = resolve_env_config(env, config_file)
    flat = {k: v for k, v in raw.items() if k not in _ROLE_SECTIONS}
    for sec in ("common", role):
        if isinstance(raw.get(sec), Mapping):
            flat.update(raw[sec])
    props = split_config(flat)["common"]
    # The core returns the keys sorted; a client's config keeps the file's order, as the
    # released package's does (it is visible in to_confluent_config()).
    order = [_librdkafka_name(k) for k in flat]
    return {k: props[k] for k in dict.fromkeys(order + sorted(props)) if k in props}


def _librdkafka_name(key: str) -> str:
    """The core's key normalisation (core/config NormalizeKey), used here for ordering only."""
    k = key.strip().replace("_", ".")
    return "log_level" if k == "log.level" else k


def encode(props: Mapping[str, Any]) -> bytes:
    return _dumps(dict(props))


def _dumps(obj: Any) -> bytes:
    try:
        return json.dumps(obj).encode()
    except (TypeError, ValueError) as e:
        raise TypeError(f"config values must be JSON scalars (str, int, float, bool): {e}") from None


def _check_opt_str(v: Any, what: str) -> None:
    if v is not None and not isinstance(v, (str, bytes)) and not hasattr(v, "__fspath__"):
        raise TypeError(f"{what} must be a str or None, got {type(v).__name__}")


PREFETCH_MESSAGES_KEY = "klient.prefetch.messages"
# librdkafka's queue settings (queued.min.messages, queued.max.messages.kbytes,
# fetch.queue.backoff.ms) and klient.prefetch.kbytes are the
# core's defaults for every face; only klient's own prefetch is smaller in Python.
CONSUMER_DEFAULTS: dict[str, Any] = {
    PREFETCH_MESSAGES_KEY: 2000,
}


class _Checker:
    """Type checks for one config class; errors are the client's family and
    TypeError/ValueError. The checks only reject what librdkafka rejects too (released
    programs pass ints or numeric strings), so they move a failure from the first
    produce/poll to the construction of the config."""

    def __init__(self, type_error: type[Exception], value_error: type[Exception]) -> None:
        self.type_error = type_error
        self.value_error = value_error

    def text(self, v: Any, what: str, *, optional: bool = False) -> None:
        if v is None and optional:
            return
        if not isinstance(v, str):
            raise self.type_error(f"{what} must be a str, got {type(v).__name__} {v!r}")
        if not v:
            raise self.value_error(f"{what} must not be empty")

    def number(self, v: Any, what: str) -> None:
        # librdkafka takes every property as a string: "5" is as good as 5.
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise self.type_error(f"{what} must be an int, got {type(v).__name__} {v!r}")

    def flag(self, v: Any, what: str) -> None:
        if not isinstance(v, (bool, str)):
            raise self.type_error(f"{what} must be a bool, got {type(v).__name__} {v!r}")

    def additional(self, v: Any) -> None:
        if not isinstance(v, Mapping):
            raise self.type_error(f"additional_config must be a dict, got {type(v).__name__}")
        for k in v:
            if not isinstance(k, str):
                raise self.type_error(f"additional_config keys must be str, got {k!r}")


_PRODUCER = _Checker(_e.KafkaProducerTypeError, _e.KafkaProducerValueError)
_CONSUMER = _Checker(_e.KafkaConsumerTypeError, _e.KafkaConsumerValueError)
_ADMIN = _Checker(_e.KafkaAdminTypeError, _e.KafkaAdminValueError)


def _client_props(cfg: Any, checker: _Checker, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The librdkafka properties of a client config's ``to_dict()``: its confluent-kafka
    configuration, then ``defaults`` and ``client.id`` where that sets none
    (additional_config wins), without the Python-only stats_cb (see _stats)."""
    out = cfg.to_confluent_config()
    extra: dict[str, Any] = dict(defaults or {})
    if cfg.client_id:
        extra["client.id"] = cfg.client_id
    for k, v in extra.items():
        out.setdefault(k, v)
    return _stats.strip(out, checker.type_error)


def _repr(obj: Any) -> str:
    # Secrets never reach a REPL or a log line: additional_config goes through the
    # core's mask (the same one every dump uses).
    parts = []
    for f in fields(obj):
        v = getattr(obj, f.name)
        if f.name == "additional_config" and v:
            # stats_cb is a callable, not a property the mask (JSON) can take: kept as is.
            rest = {k: x for k, x in v.items() if k != _stats.KEY}
            try:
                masked = mask_config(rest)
            except Exception:
                masked = {k: "***MASKED***" for k in rest}
            v = {**masked, **({_stats.KEY: v[_stats.KEY]} if _stats.KEY in v else {})}
        parts.append(f"{f.name}={v!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass(repr=False)
class ProducerConfig:
    """Producer settings (the released fields and defaults, then ``client_id``).
    ``additional_config`` holds any other librdkafka property and wins over the fields."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    acks: str | int = "all"
    retries: int = 3
    batch_size: int = 16384
    linger_ms: int = 0
    compression_type: str = "none"
    max_in_flight_requests_per_connection: int = 5
    enable_idempotence: bool = True
    transactional_id: str | None = None
    transaction_timeout_ms: int = 60000
    additional_config: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None

    def __post_init__(self) -> None:
        c = _PRODUCER
        c.text(self.bootstrap_servers, "bootstrap_servers")
        if isinstance(self.acks, bool) or not isinstance(self.acks, (str, int)):
            raise c.type_error(f"acks must be 'all', 0, 1 or -1, got {self.acks!r}")
        for name in ("retries", "batch_size", "linger_ms", "max_in_flight_requests_per_connection", "transaction_timeout_ms"):
            c.number(getattr(self, name), name)
        c.text(self.compression_type, "compression_type")
        c.flag(self.enable_idempotence, "enable_idempotence")
        c.text(self.transactional_id, "transactional_id", optional=True)
        c.text(self.client_id, "client_id", optional=True)
        c.additional(self.additional_config)

    def to_confluent_config(self) -> dict[str, Any]:
        """The confluent-kafka configuration, exactly as the released package builds it
        (a transactional producer forces idempotence, acks=all and unlimited retries)."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "acks": self.acks,
            "retries": self.retries,
            "batch.size": self.batch_size,
            "linger.ms": self.linger_ms,
            "compression.type": self.compression_type,
            "max.in.flight.requests.per.connection": self.max_in_flight_requests_per_connection,
            "enable.idempotence": self.enable_idempotence,
        }
        if self.transactional_id:
            config["transactional.id"] = self.transactional_id
            config["transaction.timeout.ms"] = self.transaction_timeout_ms
            config["enable.idempotence"] = True
            config["acks"] = "all"
            config["retries"] = 2147483647
            config["max.in.flight.requests.per.connection"] = 5
        config.update(self.additional_config)
        return config

    def to_dict(self) -> dict[str, Any]:
        """The librdkafka properties klient creates the producer with."""
        return _client_props(self, _PRODUCER)

    __repr__ = _repr


@dataclass(repr=False)
class ConsumerConfig:
    """Consumer settings (the released fields and defaults, then ``topics``, subscribed
    at construction as the README shows, and ``client_id``). ``max_poll_records`` is
    kept for the released API; like there, it is not a librdkafka property."""

    bootstrap_servers: str
    group_id: str
    auto_offset_reset: str = "earliest"
    enable_auto_commit: bool = True
    auto_commit_interval_ms: int = 1000
    session_timeout_ms: int = 30000
    heartbeat_interval_ms: int = 10000
    max_poll_records: int = 500
    isolation_level: str = "read_committed"
    additional_config: dict[str, Any] = field(default_factory=dict)
    topics: list[str] | None = None
    client_id: str | None = None

    def __post_init__(self) -> None:
        c = _CONSUMER
        c.text(self.bootstrap_servers, "bootstrap_servers")
        c.text(self.group_id, "group_id")
        c.text(self.auto_offset_reset, "auto_offset_reset")
        c.flag(self.enable_auto_commit, "enable_auto_commit")
        for name in ("auto_commit_interval_ms", "session_timeout_ms", "heartbeat_interval_ms", "max_poll_records"):
            c.number(getattr(self, name), name)
        if self.isolation_level not in ("read_committed", "read_uncommitted"):
            raise c.value_error(f"isolation_level must be 'read_committed' or 'read_uncommitted', got {self.isolation_level!r}")
        c.additional(self.additional_config)
        if self.topics is not None:
            if isinstance(self.topics, str) or not isinstance(self.topics, (list, tuple)):
                raise c.type_error(f"topics must be a list of topic names, got {type(self.topics).__name__} {self.topics!r}")
            for t in self.topics:
                c.text(t, "each topic")
            self.topics = list(self.topics)
        c.text(self.client_id, "client_id", optional=True)

    def to_confluent_config(self) -> dict[str, Any]:
        """The confluent-kafka configuration, exactly as the released package builds it."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "group.id": self.group_id,
            "auto.offset.reset": self.auto_offset_reset,
            "enable.auto.commit": self.enable_auto_commit,
            "auto.commit.interval.ms": self.auto_commit_interval_ms,
            "session.timeout.ms": self.session_timeout_ms,
            "heartbeat.interval.ms": self.heartbeat_interval_ms,
            "isolation.level": self.isolation_level,
        }
        config.update(self.additional_config)
        return config

    def to_dict(self) -> dict[str, Any]:
        """The librdkafka properties klient creates the consumer with: the released ones,
        ``client.id``, and klient's prefetch default (measured in docs/BENCHMARKS.md);
        additional_config wins over both."""
        return _client_props(self, _CONSUMER, CONSUMER_DEFAULTS)

    __repr__ = _repr


@dataclass(repr=False)
class AdminConfig:
    """Admin client settings (the released fields and defaults, then ``client_id``)."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    request_timeout_ms: int = 30000
    additional_config: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None

    def __post_init__(self) -> None:
        c = _ADMIN
        c.text(self.bootstrap_servers, "bootstrap_servers")
        c.number(self.request_timeout_ms, "request_timeout_ms")
        c.additional(self.additional_config)
        c.text(self.client_id, "client_id", optional=True)

    def to_confluent_config(self) -> dict[str, Any]:
        """The confluent-kafka configuration, exactly as the released package builds it."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "request.timeout.ms": self.request_timeout_ms,
        }
        config.update(self.additional_config)
        return config

    def to_dict(self) -> dict[str, Any]:
        return _client_props(self, _ADMIN)

    __repr__ = _repr
