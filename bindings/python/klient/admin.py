"""KafkaAdmin: create, list, describe and delete topics through libklient, with the
released package's API (``TopicMetadata``, ``{name: bool}`` results)."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import _checks, _native, _native_values, _stats, _wait
from . import errors as _e
from ._native import lib
from .config import DEFAULT_BOOTSTRAP, AdminConfig, encode, role_config
# Importable from klient.admin, as in the released module.
from .config import extract_bootstrap, resolve_env_config, split_env_config  # noqa: F401
from .errors import KafkaAdminError

__all__ = ["KafkaAdmin", "AdminConfig", "KafkaAdminError", "TopicMetadata"]

logger = logging.getLogger(__name__)


@dataclass
class TopicMetadata:
    """A topic: its name, partition count, replication factor and configuration."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def _timeout(timeout: Any) -> int:
    if timeout is None:
        return -1
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise _e.KafkaAdminTypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if timeout < 0:
        raise _e.KafkaAdminValueError(f"timeout must be >= 0 seconds, got {timeout}")
    return _native_values.timeout_ms(timeout)


def _names(topics: Any, op: str) -> list[str]:
    if isinstance(topics, (str, bytes)):
        raise _e.KafkaAdminTypeError(f"{op}() takes a list of topic names, not a str: use {op}([{topics!r}])")
    if not isinstance(topics, (list, tuple, set, frozenset)):
        raise _e.KafkaAdminTypeError(f"{op}() takes a list of topic names, got {type(topics).__name__}")
    names = list(topics)
    if not names:
        raise _e.KafkaAdminValueError(f"{op}() needs at least one topic")
    for t in names:
        if not isinstance(t, str) or not t:
            raise _e.KafkaAdminTypeError(f"topic names must be non-empty str, got {t!r}")
        _checks.no_nul(t, "topic name", "admin")
    return names


def _count(v: Any, what: str, name: str, high: int) -> int:
    if v is None:
        return 0  # the broker's default
    if isinstance(v, bool) or not isinstance(v, int):
        raise _e.KafkaAdminTypeError(f"create_topics(): {what} of {name!r} must be an int, got {v!r}")
    if not -1 <= v <= high:  # Kafka's CreateTopics fields: int32 partitions, int16 replicas
        raise _e.KafkaAdminValueError(f"create_topics(): {what} of {name!r} must be a positive int (at most {high}), got {v!r}")
    return max(v, 0)


def _spec(i: int, t: Any) -> dict[str, Any]:
    """The core's spec of one create_topics item: a TopicMetadata (the released form), a
    dict like {"topic": "t", "num_partitions": 1, "replication_factor": 1} (the README's)
    or a bare name (broker defaults)."""
    if isinstance(t, str):
        t = {"topic": t}
    if isinstance(t, TopicMetadata):
        name, parts, rf, conf = t.name, t.partitions, t.replication_factor, t.config
    elif isinstance(t, Mapping):
        unknown = set(t) - {"topic", "name", "num_partitions", "partitions", "replication_factor", "config"}
        if unknown:
            raise _e.KafkaAdminValueError(f"create_topics(): item {i} has unknown key(s) {sorted(unknown)}")
        name = t.get("topic", t.get("name"))
        parts = t.get("num_partitions", t.get("partitions"))
        rf, conf = t.get("replication_factor"), t.get("config")
    else:
        raise _e.KafkaAdminTypeError(f"create_topics(): item {i} must be a TopicMetadata or a dict, got {type(t).__name__}")
    if not isinstance(name, str) or not name:
        raise _e.KafkaAdminValueError(f"create_topics(): item {i} needs a non-empty topic name, got {t!r}")
    _checks.no_nul(name, "topic name", "admin")
    spec: dict[str, Any] = {"topic": name, "num_partitions": _count(parts, "partitions", name, _checks.INT32_MAX),
                            "replication_factor": _count(rf, "replication_factor", name, 2**15 - 1)}
    if conf:
        if not isinstance(conf, Mapping):
            raise _e.KafkaAdminTypeError(f"create_topics(): config of {name!r} must be a dict, got {type(conf).__name__}")
        spec["config"] = _checks.config({str(k): str(v) for k, v in conf.items()}, "admin")
    return spec


class KafkaAdmin:
    """Topic and cluster administration. ``create_topics`` and ``delete_topics`` map each
    topic to True (done) or False (failed: the reason is logged on ``klient.admin``);
    other failures raise :class:`KafkaAdminError`."""

    def __init__(self, config: AdminConfig) -> None:
        if not isinstance(config, AdminConfig):
            raise _e.KafkaAdminTypeError(f"KafkaAdmin needs an AdminConfig, got {type(config).__name__}")
        self._config = config
        self._pid = os.getpid()
        self._h: c_void_p | None = None
        self._closed = False
        self._lock = threading.Lock()

    def _handle(self, op: str) -> c_void_p:
        """The library handle, created at the first call as the released package creates
        its client (a bad config fails that call, not the constructor)."""
        _native.check_fork("this KafkaAdmin", "admin", self._pid)
        with self._lock:
            if self._closed:
                raise KafkaAdminError(f"{op}: the admin client is closed", code=_e.ERR_CLOSED)
            if self._h is None:
                h = c_void_p()
                _native.call(lib.klient_admin_new, encode(_checks.config(self._config.to_dict(), "admin")), byref(h), family="admin", op="create admin")
                try:
                    _stats.register(h, self._config)
                except BaseException:  # pragma: no cover - only on a broken library
                    lib.klient_admin_destroy(h)
                    raise
                self._h = h
            return self._h

    def _json(self, fn: Any, *args: Any, op: str) -> Any:
        return _native.call_json(functools.partial(_wait.interruptible, fn), self._handle(op), *args, family="admin", op=op)

    @property
    def config(self) -> AdminConfig:
        return self._config

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<KafkaAdmin bootstrap_servers={self._config.bootstrap_servers!r} {state}>"

    def __enter__(self) -> KafkaAdmin:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @staticmethod
    def _outcome(op: str, results: list[dict[str, Any]]) -> dict[str, bool]:
        out = {}
        for r in results:
            if r.get("error"):
                logger.error("Failed to %s topic %s: %s", op, r["topic"], r["error"])
            out[r["topic"]] = not r.get("error")
        return out

    def create_topics(self, topics: Iterable[Any], timeout: float = 30.0, validate_only: bool = False) -> dict[str, bool]:
        """Create topics given as TopicMetadata, dicts (``{"topic": "t", "num_partitions":
        1, "replication_factor": 1, "config": {...}}``) or names; returns name -> created
        (with ``validate_only``, the broker only checks: name -> could be created)."""
        if isinstance(topics, (Mapping, str, bytes, TopicMetadata)) or not isinstance(topics, Iterable):
            raise _e.KafkaAdminTypeError(f"create_topics() takes a list of TopicMetadata, got {type(topics).__name__}")
        specs = [_spec(i, t) for i, t in enumerate(topics)]
        if not specs:
            raise _e.KafkaAdminValueError("create_topics() needs at least one topic")
        fn = lib.klient_admin_validate_topics if validate_only else lib.klient_admin_create_topics
        res = self._json(fn, json.dumps(specs).encode(), _timeout(timeout), op="create_topics")
        return self._outcome("create", res)

    def delete_topics(self, topic_names: Iterable[str], timeout: float = 30.0) -> dict[str, bool]:
        """Delete topics; returns name -> deleted."""
        names = _names(topic_names, "delete_topics")
        res = self._json(lib.klient_admin_delete_topics, json.dumps(names).encode(), _timeout(timeout), op="delete_topics")
        return self._outcome("delete", res)

    def list_topics(self, timeout: float = 30.0, include_internal: bool = True) -> list[str]:
        """Topic names, sorted, internal ones (``__consumer_offsets``...) included unless
        ``include_internal=False``."""
        return list(self._json(lib.klient_admin_list_topics, 1 if include_internal else 0, _timeout(timeout), op="list_topics"))

    def describe_topics(self, topic_names: Iterable[str] | None = None, timeout: float = 30.0) -> dict[str, TopicMetadata]:
        """name -> TopicMetadata of ``topic_names`` (all topics when None or []); topics that do
        not exist are left out. ``config`` holds every configuration entry of the topic."""
        ms = _timeout(timeout)
        # None or an empty list mean every topic, as in the released package.
        all_topics = topic_names is None or (isinstance(topic_names, (list, tuple, set, frozenset)) and not topic_names)
        wanted = None if all_topics else _names(topic_names, "describe_topics")
        for attempt in range(3):
            existing = self.list_topics(timeout)
            names = [t for t in dict.fromkeys(existing if wanted is None else wanted) if t in set(existing)]
            if not names:
                return {}
            blob = json.dumps(names).encode()
            try:
                infos = self._json(lib.klient_admin_describe_topics, blob, ms, op="describe_topics")
                break
            except KafkaAdminError as e:
                # A topic deleted between the listing and the description: list again.
                if e.code != _e.ERR_NOT_FOUND or attempt == 2:
                    raise
        configs = self._json(lib.klient_admin_describe_configs, blob, ms, op="describe_topics")
        by_name = {d["name"]: d for d in infos}
        out = {}
        for n in names:
            parts = by_name[n].get("partitions") or []
            rf = len(parts[0]["replicas"]) if parts else 0
            out[n] = TopicMetadata(name=n, partitions=len(parts), replication_factor=rf, config=dict(configs.get(n) or {}))
        return out

    def get_cluster_metadata(self, timeout: float = 30.0) -> dict[str, Any]:
        """``{"cluster_id", "controller_id", "brokers": [{"id", "host", "port"}],
        "topics_count", "topics"}``."""
        md = self._json(lib.klient_admin_cluster_metadata, _timeout(timeout), op="get_cluster_metadata")
        return {
            "cluster_id": md["cluster_id"],
            "controller_id": md["controller_id"],
            "brokers": md["brokers"],
            "topics_count": len(md["topics"]),
            "topics": md["topics"],
        }

    def topic_exists(self, topic_name: str, timeout: float = 30.0) -> bool:
        """Whether the topic exists. As in the released package, a failure to ask the
        cluster is logged and answers False."""
        if not isinstance(topic_name, str):
            raise _e.KafkaAdminTypeError(f"topic_name must be a str, got {type(topic_name).__name__}")
        try:
            return topic_name in self.list_topics(timeout)
        except KafkaAdminError as e:
            logger.error("Error checking if topic exists: %s", e)
            return False

    def close(self) -> None:
        """Release the admin client; closing twice is a no-op."""
        with self._lock:
            self._closed = True
            h, self._h = self._h, None
        if h is not None and not _native.in_forked_child() and os.getpid() == self._pid:
            lib.klient_admin_destroy(h)

    def __del__(self) -> None:
        if _wait.abandoned_calls_running():  # see _wait: closing could wait for it
            return
        with contextlib.suppress(Exception):
            self.close()

    @classmethod
    def from_env_config(cls, env: str | None = None, config_file: str | None = None, request_timeout_ms: int = 30000, **overrides: Any) -> KafkaAdmin:
        """An admin client from the ``env`` environment of the config file (flat keys,
        then the ``common`` and ``admin`` sections). Keyword arguments override fields."""
        props = role_config(env, config_file, "admin")
        kw: dict[str, Any] = {
            "bootstrap_servers": str(props.pop("bootstrap.servers", DEFAULT_BOOTSTRAP)),
            "request_timeout_ms": request_timeout_ms,
            "additional_config": props,
        }
        kw.update(overrides)
        return cls(AdminConfig(**kw))
