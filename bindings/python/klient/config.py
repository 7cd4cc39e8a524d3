"""Configuration: dataclass configs for the clients and the environment-aware loader.

``resolve_env_config(env, config_file)`` reads one JSON file (``~/.kafka/config.json`` by
default) holding a ``default`` object and named environments, and returns the shallow
merge ``default`` + ``env`` exactly as the replaced library did. The parsing, merging,
key normalisation and secret masking are the core's (through libklient), so the CLI, C
and Python agree on every file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

from . import _native
from ._native import lib

__all__ = [
    "ProducerConfig",
    "ConsumerConfig",
    "AdminConfig",
    "resolve_env_config",
    "split_config",
    "mask_config",
    "DEFAULT_BOOTSTRAP",
]

DEFAULT_BOOTSTRAP = "localhost:9092"


def resolve_env_config(env: str | None = None, config_file: str | None = None) -> dict[str, Any]:
    """The merged raw configuration of ``env`` from ``config_file``.

    ``config_file`` None means ``$KLIENT_CONFIG_FILE`` or ``~/.kafka/config.json``. A
    missing file or env gives ``{}``; a malformed file raises
    :class:`klient.errors.KlientConfigError` naming the file, line and column.
    """
    _check_opt_str(env, "env")
    _check_opt_str(config_file, "config_file")
    if config_file is None:
        # The Go runtime reads the environment once, when the library loads; a
        # KLIENT_CONFIG_FILE set later through os.environ is only visible here.
        config_file = os.environ.get("KLIENT_CONFIG_FILE") or None
    return _native.call_json(
        lib.klient_config_resolve,
        None if config_file is None else os.fsencode(config_file),
        None if env is None else env.encode(),
        op="resolve_env_config",
    )


def split_config(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Split a raw config into ``{"common", "producer", "consumer", "admin"}`` maps with
    librdkafka property names; each role map is the common keys overlaid by its section."""
    if not isinstance(raw, Mapping):
        raise TypeError(f"config must be a mapping, got {type(raw).__name__}")
    return _native.call_json(lib.klient_config_split, _dumps(raw), op="split_config")


def mask_config(conf: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``conf`` with every secret (password, token, key...) replaced by ``********``."""
    if not isinstance(conf, Mapping):
        raise TypeError(f"config must be a mapping, got {type(conf).__name__}")
    return _native.call_json(lib.klient_config_mask, _dumps(conf), op="mask_config")


def _dumps(obj: Any) -> bytes:
    try:
        return json.dumps(obj).encode()
    except (TypeError, ValueError) as e:
        raise TypeError(f"config values must be JSON scalars (str, int, float, bool): {e}") from None


def _check_opt_str(v: Any, what: str) -> None:
    if v is not None and not isinstance(v, (str, bytes)) and not hasattr(v, "__fspath__"):
        raise TypeError(f"{what} must be a str or None, got {type(v).__name__}")


PREFETCH_MESSAGES_KEY = "klient.prefetch.messages"
# librdkafka's queue settings (queued.min.messages, fetch.queue.backoff.ms) are the
# core's defaults for every face; only klient's own prefetch is smaller in Python.
CONSUMER_DEFAULTS: dict[str, Any] = {
    PREFETCH_MESSAGES_KEY: 2000,
}


def _check_str(v: Any, what: str, *, optional: bool = False) -> None:
    if v is None and optional:
        return
    if not isinstance(v, str) or not v:
        raise TypeError(f"{what} must be a non-empty str, got {v!r}")


def _check_additional(v: Any) -> None:
    if not isinstance(v, Mapping):
        raise TypeError(f"additional_config must be a dict, got {type(v).__name__}")
    for k in v:
        if not isinstance(k, str):
            raise TypeError(f"additional_config keys must be str, got {k!r}")


def _repr(obj: Any) -> str:
    # Secrets never reach a REPL or a log line: additional_config goes through the
    # core's mask (the same one every dump uses).
    parts = []
    for f in fields(obj):
        v = getattr(obj, f.name)
        if f.name == "additional_config" and v:
            try:
                v = mask_config(v)
            except Exception:
                v = {k: "********" for k in v}
        parts.append(f"{f.name}={v!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"


@dataclass(repr=False)
class ProducerConfig:
    """Producer settings. ``additional_config`` holds any other librdkafka property
    (``"compression.type": "lz4"``) and wins over the named fields."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    transactional_id: str | None = None
    client_id: str | None = None
    acks: str | int = "all"
    linger_ms: int | None = None
    additional_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_str(self.bootstrap_servers, "bootstrap_servers")
        _check_str(self.transactional_id, "transactional_id", optional=True)
        _check_str(self.client_id, "client_id", optional=True)
        if isinstance(self.acks, bool) or not isinstance(self.acks, (str, int)):
            raise TypeError(f"acks must be 'all', 0, 1 or -1, got {self.acks!r}")
        if self.linger_ms is not None and (isinstance(self.linger_ms, bool) or not isinstance(self.linger_ms, int) or self.linger_ms < 0):
            raise TypeError(f"linger_ms must be a non-negative int or None, got {self.linger_ms!r}")
        _check_additional(self.additional_config)

    def to_dict(self) -> dict[str, Any]:
        """The librdkafka properties this config stands for."""
        out: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers, "acks": str(self.acks)}
        if self.transactional_id:
            out["transactional.id"] = self.transactional_id
        if self.client_id:
            out["client.id"] = self.client_id
        if self.linger_ms is not None:
            out["linger.ms"] = self.linger_ms
        out.update(self.additional_config)
        return out

    __repr__ = _repr


@dataclass(repr=False)
class ConsumerConfig:
    """Consumer settings. ``topics`` (a list) is subscribed at construction."""

    bootstrap_servers: str
    group_id: str
    topics: list[str] | None = None
    isolation_level: str = "read_committed"
    enable_auto_commit: bool = True
    auto_offset_reset: str = "earliest"
    client_id: str | None = None
    additional_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_str(self.bootstrap_servers, "bootstrap_servers")
        _check_str(self.group_id, "group_id")
        if self.topics is not None:
            if isinstance(self.topics, str) or not isinstance(self.topics, (list, tuple)):
                raise TypeError(f"topics must be a list of topic names, got {type(self.topics).__name__} {self.topics!r}")
            for t in self.topics:
                _check_str(t, "each topic")
            self.topics = list(self.topics)
        if self.isolation_level not in ("read_committed", "read_uncommitted"):
            raise ValueError(f"isolation_level must be 'read_committed' or 'read_uncommitted', got {self.isolation_level!r}")
        if not isinstance(self.enable_auto_commit, bool):
            raise TypeError(f"enable_auto_commit must be a bool, got {type(self.enable_auto_commit).__name__}")
        _check_str(self.auto_offset_reset, "auto_offset_reset")
        _check_str(self.client_id, "client_id", optional=True)
        _check_additional(self.additional_config)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "group.id": self.group_id,
            "isolation.level": self.isolation_level,
            "enable.auto.commit": self.enable_auto_commit,
            "auto.offset.reset": self.auto_offset_reset,
        }
        if self.client_id:
            out["client.id"] = self.client_id
        # Memory default (additional_config wins), measured in docs/BENCHMARKS.md:
        # klient's own prefetch (messages fetched ahead of consume calls).
        out.update(CONSUMER_DEFAULTS)
        out.update(self.additional_config)
        return out

    __repr__ = _repr


@dataclass(repr=False)
class AdminConfig:
    """Admin client settings."""

    bootstrap_servers: str = DEFAULT_BOOTSTRAP
    client_id: str | None = None
    additional_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_str(self.bootstrap_servers, "bootstrap_servers")
        _check_str(self.client_id, "client_id", optional=True)
        _check_additional(self.additional_config)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers}
        if self.client_id:
            out["client.id"] = self.client_id
        out.update(self.additional_config)
        return out

    __repr__ = _repr


def role_config(env: str | None, config_file: str | None, role: str) -> dict[str, Any]:
    """The ``role`` ("producer", "consumer", "admin") properties of ``env``, with
    librdkafka names, for the ``from_env_config`` factories."""
    raw = resolve_env_config(env, config_file)
    return dict(split_config(raw).get(role) or {})


def encode(props: Mapping[str, Any]) -> bytes:
    return _dumps(dict(props))
