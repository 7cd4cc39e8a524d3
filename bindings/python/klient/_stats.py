"""librdkafka's statistics -> the ``stats_cb`` of the client that emitted them.

confluent-kafka programs pass ``stats_cb`` (a callable taking the JSON string) with
``statistics.interval.ms`` in the config; klient takes both from ``additional_config``.
The callable never reaches the library (config ``to_dict()`` strips it): the library has
one process-wide statistics callback (``klient_set_stats_cb``), installed here when the
first client with a ``stats_cb`` is created, and each document goes to the client whose
librdkafka instance name (``klient_client_name``) is the document's ``"name"``."""

from __future__ import annotations

import ctypes
import json
import logging
import re
import threading
import weakref
from typing import Any, Callable, Mapping

from . import _native

KEY = "stats_cb"

# librdkafka writes the instance name first: { "name": "rdkafka#producer-1", ...
_NAME = re.compile(r'\s*\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")')

_lock = threading.Lock()
# instance name -> a weak reference to the config holding the client's stats_cb (weak:
# a callable that refers back to the client must not keep it alive).
_routes: dict[str, weakref.ReferenceType[Any]] = {}


def strip(props: dict[str, Any], type_error: type[Exception]) -> dict[str, Any]:
    """``props`` without ``stats_cb`` (a callable is no librdkafka property); a value that
    is not callable raises ``type_error``, as confluent-kafka refuses it."""
    cb = props.pop(KEY, None)
    if cb is not None and not callable(cb):
        raise type_error(f"additional_config['{KEY}'] must be a callable taking the statistics JSON string, got {type(cb).__name__}")
    return props


def _callback(config: Any) -> Callable[[str], Any] | None:
    extra = getattr(config, "additional_config", None)
    cb = extra.get(KEY) if isinstance(extra, Mapping) else None
    return cb if callable(cb) else None


def register(handle: Any, config: Any) -> None:
    """Route the statistics of the client ``handle`` (just created from ``config``) to
    the config's ``stats_cb``; nothing when it has none."""
    if _callback(config) is None:
        return
    out = ctypes.c_void_p()
    _native.call(_native.lib.klient_client_name, handle, ctypes.byref(out), op="stats_cb")
    try:
        name = ctypes.string_at(out.value).decode("utf-8", "replace")
    finally:
        _native.lib.klient_free(out)
    with _lock:
        _routes[name] = weakref.ref(config, lambda _ref: _routes.pop(name, None))
    _sink.install(op="stats_cb")


def _name_of(doc: str) -> str | None:
    m = _NAME.match(doc)
    if m:
        return json.loads(m.group(1))
    try:  # pragma: no cover - librdkafka always writes the name first
        return json.loads(doc).get("name")
    except (ValueError, AttributeError):
        return None


@_native.STATS_FN
def _on_stats(_user: Any, client: bytes | None, doc: bytes | None) -> None:
    # Runs on a library thread (ctypes takes the GIL). Never let an exception escape
    # into C: ctypes would only print it. A stats_cb that raises is logged on the
    # client's logger, with its traceback.
    try:
        text = (doc or b"").decode("utf-8", "replace")
        ref = _routes.get(_name_of(text) or "")
        cb = _callback(ref()) if ref is not None else None
        if cb is None:
            return
        try:
            cb(text)
        except Exception:
            kind = (client or b"").decode("utf-8", "replace")
            logging.getLogger("klient." + kind).exception("stats_cb raised")
    except Exception:  # pragma: no cover
        pass


_sink = _native.ProcessCallback("klient_set_stats_cb", _native.STATS_FN, _on_stats)
