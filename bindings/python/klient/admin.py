"""KafkaAdmin: create, list, describe and delete topics through libklient."""

from __future__ import annotations

import contextlib
import json
import os
from ctypes import byref, c_void_p
from typing import Any, Iterable, Mapping

from . import _native
from . import errors as _e
from ._native import lib
from .config import DEFAULT_BOOTSTRAP, AdminConfig, encode, role_config
from .errors import KafkaAdminError

__all__ = ["KafkaAdmin", "AdminConfig", "KafkaAdminError"]


def _topic_list(topics: Any, op: str) -> bytes:
    if isinstance(topics, (str, bytes)):
        raise TypeError(f"{op}() takes a list of topic names, not a str: use {op}([{topics!r}])")
    if not isinstance(topics, (list, tuple, set, frozenset)):
        raise TypeError(f"{op}() takes a list of topic names, got {type(topics).__name__}")
    names = list(topics)
    if not names:
        raise ValueError(f"{op}() needs at least one topic")
    for t in names:
        if not isinstance(t, str) or not t:
            raise TypeError(f"topic names must be non-empty str, got {t!r}")
    return json.dumps(names).encode()


class KafkaAdmin:
    """Topic administration. Results of create/delete map each topic to None (done) or
    an error message (e.g. "Topic 'x' already exists."); other failures raise
    :class:`KafkaAdminError`."""

    def __init__(self, config: AdminConfig) -> None:
        if not isinstance(config, AdminConfig):
            raise TypeError(f"KafkaAdmin needs an AdminConfig, got {type(config).__name__}")
        self._config = config
        self._pid = os.getpid()
        self._h: c_void_p | None = None
        h = c_void_p()
        _native.call(lib.klient_admin_new, encode(config.to_dict()), byref(h), family="admin", op="create admin")
        self._h = h

    def _handle(self, op: str) -> c_void_p:
        _native.check_fork("this KafkaAdmin", "admin", self._pid)
        if self._h is None:
            raise KafkaAdminError(f"{op}: the admin client is closed", code=_e.ERR_CLOSED)
        return self._h

    def _json(self, fn: Any, *args: Any, op: str) -> Any:
        return _native.call_json(fn, self._handle(op), *args, family="admin", op=op)

    @property
    def config(self) -> AdminConfig:
        return self._config

    def __repr__(self) -> str:
        state = "closed" if self._h is None else "open"
        return f"<KafkaAdmin bootstrap_servers={self._config.bootstrap_servers!r} {state}>"

    def __enter__(self) -> KafkaAdmin:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def create_topics(self, topics: Iterable[Mapping[str, Any]], timeout: float = 30.0) -> dict[str, str | None]:
        """Create topics from ``[{"topic": "t", "num_partitions": 1, "replication_factor": 1,
        "config": {...}}]`` (``name`` is accepted for ``topic``; missing counts use the
        broker defaults)."""
        if isinstance(topics, Mapping) or isinstance(topics, (str, bytes)):
            raise TypeError("create_topics() takes a list of dicts like {'topic': 'events', 'num_partitions': 1, 'replication_factor': 1}")
        specs = []
        for i, t in enumerate(topics):
            if isinstance(t, str):
                t = {"topic": t}
            if not isinstance(t, Mapping):
                raise TypeError(f"create_topics(): item {i} must be a dict, got {type(t).__name__}")
            name = t.get("topic", t.get("name"))
            if not isinstance(name, str) or not name:
                raise ValueError(f"create_topics(): item {i} needs a non-empty 'topic', got {t!r}")
            unknown = set(t) - {"topic", "name", "num_partitions", "replication_factor", "config"}
            if unknown:
                raise ValueError(f"create_topics(): item {i} has unknown key(s) {sorted(unknown)}")
            spec: dict[str, Any] = {"topic": name}
            for k in ("num_partitions", "replication_factor"):
                v = t.get(k, 0)
                if isinstance(v, bool) or not isinstance(v, int) or v < -1:
                    raise ValueError(f"create_topics(): {k} of {name!r} must be a positive int, got {v!r}")
                spec[k] = max(v, 0)
            if t.get("config"):
                spec["config"] = {str(k): str(v) for k, v in dict(t["config"]).items()}
            specs.append(spec)
        if not specs:
            raise ValueError("create_topics() needs at least one topic")
        res = self._json(lib.klient_admin_create_topics, json.dumps(specs).encode(), _native.timeout_ms(timeout), op="create_topics")
        return {r["topic"]: r.get("error") for r in res}

    def delete_topics(self, topics: Iterable[str], timeout: float = 30.0) -> dict[str, str | None]:
        """Delete topics; returns topic -> None (deleted) or an error message."""
        res = self._json(lib.klient_admin_delete_topics, _topic_list(topics, "delete_topics"), _native.timeout_ms(timeout), op="delete_topics")
        return {r["topic"]: r.get("error") for r in res}

    def list_topics(self, include_internal: bool = False, timeout: float = 10.0) -> list[str]:
        """Topic names, sorted (internal ``__...`` topics only with include_internal)."""
        return list(self._json(lib.klient_admin_list_topics, 1 if include_internal else 0, _native.timeout_ms(timeout), op="list_topics"))

    def describe_topics(self, topics: Iterable[str], timeout: float = 10.0) -> dict[str, dict[str, Any]]:
        """topic -> {"name", "internal", "partitions": [{"partition", "leader", "replicas",
        "isr"}]}. A missing topic raises KafkaAdminError (kind "not found")."""
        res = self._json(lib.klient_admin_describe_topics, _topic_list(topics, "describe_topics"), _native.timeout_ms(timeout), op="describe_topics")
        return {d["name"]: d for d in res}

    def close(self) -> None:
        """Release the admin client; closing twice is a no-op."""
        h, self._h = self._h, None
        if h is not None and not _native.in_forked_child() and os.getpid() == self._pid:
            lib.klient_admin_destroy(h)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    @classmethod
    def from_env_config(cls, env: str | None = None, config_file: str | None = None, **overrides: Any) -> KafkaAdmin:
        """An admin client from the ``env`` environment (flat keys + ``admin`` section)."""
        props = role_config(env, config_file, "admin")
        kw: dict[str, Any] = {
            "bootstrap_servers": str(props.pop("bootstrap.servers", DEFAULT_BOOTSTRAP)),
            "client_id": props.pop("client.id", None),
            "additional_config": props,
        }
        kw.update(overrides)
        return cls(AdminConfig(**kw))
