"""Range and content checks of every value that crosses from Python into the C ABI.

ctypes converts silently: a ``c_char_p`` ends at the first NUL ("t\\x00evil" reaches the
library as "t"), a ``c_int32`` keeps the low 32 bits (partition 2**32 becomes 0), a
``c_int64`` the low 64 (timestamp 2**64+5 becomes 5). The library cannot see what was
cut off, so each value is checked here, where it is converted, and a bad one raises the
family's ValueError class (KafkaProducerValueError, KafkaConsumerValueError,
KafkaAdminValueError: a released exception and still a ValueError) before anything is
sent.
"""

from __future__ import annotations

from typing import Any

from . import errors as _e

INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SIZE_MAX = 2**64 - 1

_VALUE_ERRORS: dict[str, type[ValueError]] = {
    "producer": _e.KafkaProducerValueError,
    "consumer": _e.KafkaConsumerValueError,
    "admin": _e.KafkaAdminValueError,
}


def _bad(family: str, message: str) -> ValueError:
    return _VALUE_ERRORS.get(family, ValueError)(message)


def cstr(s: str, what: str, family: str = "producer") -> bytes:
    """``s`` as the UTF-8 bytes of a C string: a NUL would end it early."""
    if "\0" in s:
        raise _bad(family, f"{what} must not contain a NUL character, got {s!r}")
    return s.encode("utf-8")


def no_nul(s: str, what: str, family: str = "producer") -> str:
    """``s`` unchanged, or the error of :func:`cstr` (for names sent inside JSON, which
    the library hands to librdkafka as C strings)."""
    if "\0" in s:
        raise _bad(family, f"{what} must not contain a NUL character, got {s!r}")
    return s


def partition(p: int, family: str = "producer") -> int:
    """A partition for the ABI's int32: -1 (any) or 0..2**31-1."""
    if not -1 <= p <= INT32_MAX:
        raise _bad(family, f"partition must be between 0 and {INT32_MAX} (or None / -1 for any), got {p}")
    return p


def int64(n: int, what: str, family: str = "producer", low: int = INT64_MIN) -> int:
    """An int for the ABI's int64 (offsets, timestamps): ``low``..2**63-1."""
    if not low <= n <= INT64_MAX:
        raise _bad(family, f"{what} must be between {low} and {INT64_MAX}, got {n}")
    return n


def count(n: int, what: str, family: str = "producer", high: int = INT32_MAX) -> int:
    """A count for the ABI (message counts, partitions, replicas): 1..``high``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise _bad(family, f"{what} must be an int, got {type(n).__name__}")
    if not 1 <= n <= high:
        raise _bad(family, f"{what} must be between 1 and {high}, got {n}")
    return n


def config(props: dict[str, Any], family: str) -> dict[str, Any]:
    """Config keys and string values without NUL (librdkafka takes C strings)."""
    for k, v in props.items():
        if isinstance(k, str) and "\0" in k:
            raise _bad(family, f"config key {k!r} must not contain a NUL character")
        if isinstance(v, str) and "\0" in v:
            raise _bad(family, f"config value of {k!r} must not contain a NUL character")
    return props
