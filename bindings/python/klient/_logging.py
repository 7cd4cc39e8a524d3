"""librdkafka's log lines (e.g. a refused connection) -> the ``logging`` loggers
``klient.producer``, ``klient.consumer`` and ``klient.admin``.

Without this librdkafka prints them to stderr whatever the program configured. A line
goes to ``logging`` when the client's logger has a handler (its own, ``klient``'s or the
root's, as ``Logger.hasHandlers`` says); a program that configured no logging at all
still sees it on stderr, in librdkafka's own format. Each record carries ``extra``
fields: ``syslog_level``, ``facility`` (librdkafka's tag, e.g. "FAIL"), ``client`` and
``rdkafka_name`` (the librdkafka instance, e.g. "rdkafka#producer-1")."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from . import _native


def python_level(syslog: int) -> int:
    """syslog level -> logging level: 0-2 CRITICAL, 3 ERROR, 4 WARNING, 5-6 INFO, 7 DEBUG."""
    if syslog <= 2:
        return logging.CRITICAL
    if syslog == 3:
        return logging.ERROR
    if syslog == 4:
        return logging.WARNING
    if syslog <= 6:
        return logging.INFO
    return logging.DEBUG


def _text(b: bytes | None) -> str:
    return (b or b"").decode("utf-8", "replace")


@_native.LOG_FN
def _on_log(_user: Any, level: int, client: bytes | None, facility: bytes | None, name: bytes | None, message: bytes | None) -> None:
    # Runs on a library thread (ctypes takes the GIL). Never let an exception escape
    # into C: ctypes would only print it.
    try:
        kind, fac, inst, text = _text(client), _text(facility), _text(name), _text(message)
        logger = logging.getLogger("klient." + kind)
        if not logger.hasHandlers():
            sys.stderr.write(f"%{level}|{time.time():.3f}|{fac}|{inst}| {text}\n")
            return
        extra = {"syslog_level": level, "facility": fac, "client": kind, "rdkafka_name": inst}
        logger.log(python_level(level), "%s", text, extra=extra)
    except Exception:  # pragma: no cover
        pass


_sink = _native.ProcessCallback("klient_set_log_cb", _native.LOG_FN, _on_log)


def install() -> None:
    """Route every client's librdkafka log lines through _on_log (process-wide, replacing
    a callback set through the C ABI); idempotent. Called when the first client is created."""
    _sink.install()
