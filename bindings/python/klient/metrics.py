"""Process-wide counters, shared with the Go core (one registry per process).

A counter the core increments (``producer.tx.begin`` after a transaction begins) is the
same one ``get`` reads here, and one incremented here is visible to C and the CLI.
"""

from __future__ import annotations

from ctypes import byref, c_int64, c_void_p

from . import _checks, _native
from ._native import lib

__all__ = ["inc", "get", "snapshot", "reset", "prometheus", "RELEASED_COUNTERS"]

# The counters the released package's snapshot() always shows, at 0 until incremented,
# in its order.
RELEASED_COUNTERS = (
    "producer.retry",
    "producer.tx.begin",
    "producer.tx.commit",
    "producer.tx.abort",
    "consumer.rebalance.assign",
    "consumer.rebalance.revoke",
    "consumer.rebalance.lost",
    "consumer.shutdown.signal",
    "consumer.shutdown.complete",
    "relay.messages.forwarded",
    "relay.batch.commit",
)


def _name(name: str) -> bytes:
    if not isinstance(name, str) or not name:
        raise TypeError(f"metric name must be a non-empty str, got {name!r}")
    return _checks.cstr(name, "metric name", "klient")


# Counters first incremented from Python, in that order: snapshot() lists them the way
# the released dict does (insertion order); the core's own list is sorted.
_seen: dict[str, None] = {}


def inc(name: str, value: int = 1) -> None:
    """Add ``value`` to the counter ``name`` (created at 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"value must be an int, got {type(value).__name__}")
    _checks.int64(value, "value", "klient")
    _native.call(lib.klient_metrics_inc, _name(name), value, op="metrics.inc")
    _seen.setdefault(name)


def get(name: str) -> int:
    """The counter's value (0 for one never incremented)."""
    out = c_int64()
    _native.call(lib.klient_metrics_get, _name(name), byref(out), op="metrics.get")
    return out.value


def snapshot() -> dict[str, int]:
    """A copy of every counter: the released package's eleven (0 until incremented),
    then those incremented from Python in first-increment order, then the core's others."""
    counters = _native.call_json(lib.klient_metrics_snapshot, op="metrics.snapshot") or {}
    out = dict.fromkeys(RELEASED_COUNTERS, 0)
    for name in list(_seen) + sorted(counters):
        out[name] = counters.get(name, 0)
    return out


def reset() -> None:
    """Set every counter back to 0 (meant for tests)."""
    _native.call(lib.klient_metrics_reset, op="metrics.reset")
    _seen.clear()


def prometheus() -> str:
    """The counters in the Prometheus text exposition format."""
    out = c_void_p()
    _native.call(lib.klient_metrics_prometheus, byref(out), op="metrics.prometheus")
    return _native.take_str(out)
