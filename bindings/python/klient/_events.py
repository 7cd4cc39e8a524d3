"""libklient's structured events (transactions, rebalances, failed deliveries) -> the
logger of the client they are about, by the event name's prefix: ``produce_*``,
``transaction_*``, ``delivery_*`` -> ``klient.producer``; ``consume*``, ``rebalance_*``,
``commit_*`` -> ``klient.consumer``; ``admin_*`` -> ``klient.admin``; ``relay_*`` ->
``klient.relay``; any other -> ``klient``. These are children of ``klient``, so a handler
on ``klient`` receives every event once. The message is the event's JSON line; its
fields are also the record's attributes (``extra=``: ``record.event``,
``record.topic``...; a field named like a LogRecord attribute gets an ``event_`` prefix).

The sink is process-wide (one per library): it replaces any sink set through the C ABI.
Creating the first client installs it (see ``_native.call``); importing the package
alone installs nothing, and ``klient.enable_event_logging()`` installs it on request."""

from __future__ import annotations

import ctypes
import json
import logging
from typing import Any

from . import _native

_log = logging.getLogger("klient")

# Event name prefix -> logger; the first match wins.
_ROUTES = (
    (("produce_", "transaction_", "delivery_"), logging.getLogger("klient.producer")),
    (("consume", "rebalance_", "commit_"), logging.getLogger("klient.consumer")),
    (("admin_",), logging.getLogger("klient.admin")),
    (("relay_",), logging.getLogger("klient.relay")),
)
# Attributes every LogRecord has (and "message"/"asctime", which logging refuses in extra).
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def route(line: str) -> tuple[logging.Logger, dict[str, Any]]:
    """The logger of one event line and its fields for ``extra=``."""
    try:
        doc = json.loads(line)
    except ValueError:
        return _log, {}
    if not isinstance(doc, dict):
        return _log, {}
    extra = {("event_" + k if k in _RESERVED else k): v for k, v in doc.items()}
    name = doc.get("event")
    if isinstance(name, str):
        for prefixes, logger in _ROUTES:
            if name.startswith(prefixes):
                return logger, extra
    return _log, extra

_EVENT_LEVELS = {"failed": logging.WARNING, "error": logging.WARNING, "aborted": logging.WARNING, "circuit_open": logging.WARNING}


def _event_level(line: str) -> int:
    head = line[:80]
    for word, level in _EVENT_LEVELS.items():
        if word in head:
            return level
    return logging.INFO


@_native.EVENT_SINK_FN
def _event_sink(_user: Any, line: Any, length: int) -> None:
    # Runs on a library thread (ctypes takes the GIL). Never let an exception escape
    # into C: ctypes would only print it.
    try:
        text = ctypes.string_at(line, length).decode("utf-8", "replace")
        logger, extra = route(text)
        # "%s": the line is the message, never a format string.
        logger.log(_event_level(text), "%s", text, extra=extra)
    except Exception:  # pragma: no cover
        pass


_sink = _native.ProcessCallback("klient_events_set_sink", _native.EVENT_SINK_FN, _event_sink)


def install_event_sink() -> None:
    """Route libklient's structured events (transactions, rebalances, failed deliveries)
    to the ``klient.*`` loggers (see the module's docstring). Process-wide (it replaces
    any sink set through the C ABI); idempotent. Called for you when the first client is
    created."""
    _sink.install()
