"""Python values <-> the C ABI's: messages in (:class:`MessageIn` keeps the Python
buffers of one ``klient_message_t`` alive while C reads them), message views out
(:func:`view_fields`), timeouts in seconds -> the ABI's milliseconds. Private."""

from __future__ import annotations

import ctypes
from ctypes import c_void_p
from typing import Any

from . import _checks
from ._native_types import Header, Message, MessageView


# ---- bytes in --------------------------------------------------------------------------


def as_bytes(value: Any, what: str) -> bytes | None:
    """bytes/bytearray/memoryview/str (UTF-8) or None; anything else is a TypeError."""
    t = type(value)
    if t is bytes or value is None:
        return value
    if t is str:
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes, str or None, got {type(value).__name__}")


def _addr(b: bytes) -> int:
    """Address of a bytes object's buffer (valid while the object lives)."""
    return ctypes.cast(b, c_void_p).value or 0


class MessageIn:
    """Keeps the Python buffers of one klient_message_t alive while C reads them."""

    __slots__ = ("struct", "_keep")

    def __init__(
        self,
        topic: str | None,
        key: Any = None,
        value: Any = None,
        partition: int | None = None,
        headers: Any = None,
        timestamp: Any = None,
        *,
        topic_required: bool = True,
    ) -> None:
        if topic is None and topic_required or topic is not None and not isinstance(topic, str):
            raise TypeError(f"topic must be a non-empty str, got {type(topic).__name__}")
        if topic is not None and not topic:
            raise ValueError("topic must be a non-empty str")
        if partition is not None and (not isinstance(partition, int) or isinstance(partition, bool)):
            raise TypeError(f"partition must be an int or None, got {type(partition).__name__}")
        if partition is not None:
            _checks.partition(partition)
        ts = _timestamp_ms(timestamp)
        k = as_bytes(key, "key")
        v = as_bytes(value, "value")
        m = Message()
        # The struct holds the topic, key and value bytes (c_char_p fields keep what is
        # assigned to them): the library reads them in place, no copy, during the call.
        if topic is not None:
            m.topic = _checks.cstr(topic, "topic")
        m.partition = -1 if partition is None else partition
        if k is not None:
            m.key = k
            m.key_len = len(k)
        if v is not None:
            m.value = v
            m.value_len = len(v)
        keep: list[Any] = []  # header keys and values: Header.value is an address
        hs = normalize_headers(headers)
        if hs:
            arr = (Header * len(hs))()
            for i, (hk, hv) in enumerate(hs):
                kb2 = _checks.cstr(hk, "header key")
                keep.append(kb2)
                arr[i].key = kb2
                if hv is not None:
                    keep.append(hv)
                    arr[i].value = _addr(hv)
                    arr[i].value_len = len(hv)
            keep.append(arr)
            m.headers = arr
            m.header_count = len(hs)
        m.timestamp_ms = ts
        self.struct = m
        self._keep = keep


def fill_message(dst: Message, src: MessageIn) -> None:  # type: ignore[valid-type]
    ctypes.memmove(ctypes.addressof(dst), ctypes.addressof(src.struct), ctypes.sizeof(Message))


def normalize_headers(headers: Any) -> list[tuple[str, bytes | None]]:
    """Headers as a dict or a list of (key, value) pairs; values bytes/str/None."""
    if headers is None:
        return []
    if isinstance(headers, dict):
        items = list(headers.items())
    elif isinstance(headers, (list, tuple)):
        items = list(headers)
    else:
        raise TypeError(f"headers must be a dict or a list of (key, value) pairs, got {type(headers).__name__}")
    out: list[tuple[str, bytes | None]] = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"each header must be a (key, value) pair, got {item!r}")
        hk, hv = item
        if not isinstance(hk, str):
            raise TypeError(f"header keys must be str, got {type(hk).__name__}")
        out.append((hk, as_bytes(hv, f"header {hk!r} value")))
    return out


def _timestamp_ms(ts: Any) -> int:
    if ts is None:
        return 0
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        import datetime as _dt

        if isinstance(ts, _dt.datetime):
            return int(ts.timestamp() * 1000)
        raise TypeError(f"timestamp must be milliseconds since the epoch (int) or a datetime, got {type(ts).__name__}")
    # Checked before int(): NaN and infinities fail the range check too.
    return int(_checks.int64(ts, "timestamp (ms)", low=0))


# ---- bytes out -------------------------------------------------------------------------


def view_fields(v: MessageView) -> tuple[str, int, int, bytes | None, bytes | None, list[tuple[str, bytes | None]] | None, int | None]:  # type: ignore[valid-type]
    """(topic, partition, offset, key, value, headers, timestamp) copied out of a view."""
    key = ctypes.string_at(v.key, v.key_len) if v.key else None
    value = ctypes.string_at(v.value, v.value_len) if v.value else None
    headers = None
    if v.header_count:
        headers = []
        for i in range(v.header_count):
            h = v.headers[i]
            hv = ctypes.string_at(h.value, h.value_len) if h.value else None
            headers.append((h.key.decode("utf-8", "replace"), hv))
    topic = v.topic.decode("utf-8") if v.topic else ""
    return topic, v.partition, v.offset, key, value, headers, (v.timestamp_ms or None)


def timeout_ms(timeout: float | None, what: str = "timeout") -> int:
    """Seconds (None: forever) -> the ABI's milliseconds (< 0: forever)."""
    if timeout is None:
        return -1
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {type(timeout).__name__}")
    if not timeout >= 0:  # NaN fails this too (int(nan) would raise an unclear error)
        raise ValueError(f"{what} must be >= 0 seconds (or None to wait forever), got {timeout}")
    if timeout == float("inf"):
        return -1  # int(inf) would raise OverflowError; infinity is "forever"
    return min(int(timeout * 1000), 2**31 - 1)
