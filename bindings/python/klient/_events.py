"""libklient's structured events (transactions, rebalances, failed deliveries) -> the
``klient`` logger.

The sink is process-wide (one per library): it replaces any sink set through the C ABI.
Creating the first client installs it (see ``_native.call``); importing the package
alone installs nothing, and ``klient.enable_event_logging()`` installs it on request."""

from __future__ import annotations

import atexit
import ctypes
import logging
import threading
from typing import Any

from . import _native

_log = logging.getLogger("klient")

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
        _log.log(_event_level(text), text)
    except Exception:  # pragma: no cover
        pass


_sink_lock = threading.Lock()
_sink_installed = False


def install_event_sink() -> None:
    """Route libklient's structured events (transactions, rebalances, failed deliveries)
    to the ``klient`` logger. Process-wide (it replaces any sink set through the C ABI);
    idempotent. Called for you when the first client is created."""
    global _sink_installed
    with _sink_lock:
        if not _sink_installed:
            _native.call(_native.lib.klient_events_set_sink, _event_sink, None)
            _sink_installed = True


@atexit.register
def _remove_event_sink() -> None:
    # The Go threads may outlive the interpreter's teardown; a callback into a
    # finalising interpreter would crash. Not in a forked child: no Go runtime there.
    if _sink_installed and not _native.in_forked_child():
        try:
            _native.lib.klient_events_set_sink(_native.EVENT_SINK_FN(), None, None)
        except Exception:  # pragma: no cover
            pass
