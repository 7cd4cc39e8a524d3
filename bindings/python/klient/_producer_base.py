"""What the producer modules share: result types, constants, argument helpers and
the process-wide hooks of the produce buffer (exit, fork, the sender thread)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import struct
import threading
import time
import weakref
from array import array
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Mapping

from . import _native, _native_values, _wait
from . import errors as _e
from .errors import KafkaProducerError

if TYPE_CHECKING:  # pragma: no cover
    from .producer import KafkaProducer


# "klient.producer", like the released module's `logger`: its records still reach
# handlers configured on "klient".
logger = logging.getLogger("klient.producer")
_log = logger

_codes = _native.error_codes()
#: librdkafka error codes that klient retries (from the core's classification).
RETRIABLE_ERROR_CODES: set[int] = _codes.get("retriable", set())
#: librdkafka error codes that make the producer unusable.
FATAL_ERROR_CODES: set[int] = _codes.get("fatal", set())
#: librdkafka error codes meaning another producer took over the transactional id.
FENCING_ERROR_CODES: set[int] = _codes.get("fencing", set())

_REPORT_CAPACITY = 1024
_DRAIN_EVERY = 4096  # queued produces between two opportunistic report drains
_SLICE_MS = _wait.SLICE_MS  # blocking calls wait in slices this long so Ctrl-C is seen
_BREAKER_STATES = {0: "closed", 1: "open", 2: "half_open"}
_BUF_MAX = 1000  # produce(flush=False) messages buffered before one packed send
_LINGER_CAP_MS = 2  # the buffer's timer: at most this long (librdkafka lingers 5 ms anyway)
_PACKED = _native.HAS_PACKED_PRODUCE
# One delivery report as raw bytes (klient_delivery_report_t): the fixed fields are
# unpacked at C speed, the 256-byte message only for failures.
_REPORT_STRUCT = struct.Struct("<Qi4xqqii256x")
_REPORT_MSG_AT = _REPORT_STRUCT.size - 256
assert _REPORT_STRUCT.size == _native.ctypes.sizeof(_native.DeliveryReport)
_NONE_T = type(None)
_PLAIN_TYPES = frozenset((bytes, _NONE_T))
# Errors after which a buffered send stops (the rest is counted as failed and the error
# raised); any other error refuses one message, which is counted and skipped.
# (ERR_FATAL is also the core's kind for per-message "never retry" codes such as
# message too large; only librdkafka's own fatal error stops the producer.)
_STOP_CODES = frozenset((_e.ERR_CLOSED, _e.ERR_FENCED, _e.ERR_TRANSACTION, _e.ERR_TIMEOUT, _e.ERR_INTERNAL))
_KAFKA_ERR_FATAL = -150  # RD_KAFKA_RESP_ERR__FATAL


@dataclass(slots=True)
class ProduceResult:
    """The outcome of one produce.

    The first five fields are the released glean-klient ``ProduceResult`` (same order):
    a failed delivery has ``partition == offset == -1``. ``status`` tells the state:
    "success" (delivered), "error" (delivery failed; see ``error``) or "queued"
    (``flush=False``: handed to the producer, delivery not awaited; a delivery callback
    gets the final result).
    """

    topic: str
    partition: int | None = None
    offset: int | None = None
    success: bool = False
    error: str | None = None
    timestamp: int | None = None
    #: the KLIENT_ERR_* kind and librdkafka code of a failed delivery (0 when ok)
    error_code: int = field(default=0, repr=False, compare=False)
    kafka_code: int = field(default=0, repr=False, compare=False)

    @property
    def status(self) -> str:
        """ "success", "error" or "queued" (derived, so it always agrees with success/error)."""
        return "success" if self.success else "error" if self.error else "queued"

    @property
    def ok(self) -> bool:
        return self.success or not self.error


@dataclass(slots=True)
class TransactionResult:
    """The outcome of begin/commit/abort, with the released fields in their order.
    ``duration_ms`` is the call's duration for begin and the whole transaction's for
    commit and abort."""

    transaction_id: str
    success: bool
    operation: str  # "begin", "commit" or "abort"
    error: str | None = None
    duration_ms: float | None = None


_Report = tuple[int, int, int, int, int, int, str]  # id, partition, offset, ts, code, kafka_code, message
_UNKNOWN_PARTITION = -190  # RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION


def _result_of(topic: str, r: _Report) -> ProduceResult:
    _id, partition, offset, ts, code, kc, msg = r
    if code:
        return ProduceResult(topic, -1, -1, False, msg or _e.CODE_NAMES.get(code, "error"), ts or None, code, kc)
    return ProduceResult(topic, partition, offset if offset >= 0 else None, True, None, ts or None)


def _only_error_reports(props: Mapping[str, Any]) -> bool:
    """librdkafka's delivery.report.only.error in a producer's properties (its boolean
    spellings; the core checks the value)."""
    v = props.get("delivery.report.only.error", False)
    return str(v).lower() in ("true", "t", "1") if not isinstance(v, bool) else v


def _typed(e: Exception) -> Exception:
    """A wrong argument type/value as the released exception class (a KafkaProducerError
    that is still a TypeError/ValueError); klient's own errors pass unchanged."""
    if isinstance(e, _e.KlientError):
        return e
    if isinstance(e, UnicodeEncodeError):
        enc = KafkaProducerEncodeError(*e.args)
        enc.message = str(e)
        enc.__cause__ = e
        return enc
    cls = _e.KafkaProducerTypeError if isinstance(e, TypeError) else _e.KafkaProducerValueError
    out = cls(str(e))
    out.__cause__ = e
    return out


class KafkaProducerEncodeError(_e.KafkaProducerValueError, UnicodeEncodeError):
    """A str key, value or topic that is not valid UTF-8 (a lone surrogate): a
    KafkaProducerError that is still the UnicodeEncodeError the released package raised."""


class KafkaProducerConfigError(KafkaProducerError, _e.KlientConfigError):
    """The producer could not be created from its configuration (raised by the first
    call that needs the client, like the released package)."""


def _seconds(timeout: float | None) -> float | None:
    """The released API's timeouts: None or a negative number mean "no limit"."""
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout < 0:
        return None
    return timeout


_PRODUCE_PARAMS = ("topic", "value", "key", "headers", "partition", "callback", "flush", "timestamp", "timeout")


def _produce_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """produce()'s arguments by name, for the *args/**kwargs forwarding methods."""
    if len(args) > len(_PRODUCE_PARAMS):
        raise TypeError(f"produce takes at most {len(_PRODUCE_PARAMS)} arguments ({len(args)} given)")
    out = dict(zip(_PRODUCE_PARAMS, args))
    for k, v in kwargs.items():
        if k not in _PRODUCE_PARAMS:
            raise TypeError(f"produce got an unexpected keyword argument {k!r}")
        if k in out:
            raise TypeError(f"produce got multiple values for argument {k!r}")
        out[k] = v
    if "topic" not in out:
        raise TypeError("produce is missing the topic")
    cb = out.get("callback")
    if cb is not None and not callable(cb):
        raise TypeError(f"callback must be callable, got {type(cb).__name__}")
    return out


def _report_tuple(d: _native.DeliveryReport) -> _Report:  # type: ignore[valid-type]
    return (d.id, d.partition, d.offset, d.timestamp_ms, d.error_code, d.kafka_code, d.error_message.decode("utf-8", "replace"))


def _offsets(parts: list[bytes]) -> array:
    """n+1 offsets of parts laid end to end (b"".join(parts)), built at C speed."""
    return array("Q", accumulate(map(len, parts), initial=0))


def _plain(parts: list[Any], what: str) -> list[Any]:
    """parts as bytes/None (str encoded), or TypeError naming the bad one."""
    if set(map(type, parts)) <= _PLAIN_TYPES:
        return parts
    return [_native_values.as_bytes(x, what) for x in parts]


_live_producers: weakref.WeakSet[KafkaProducer] = weakref.WeakSet()


@atexit.register
def _send_buffers_at_exit() -> None:
    # produce(flush=False) buffers in Python for up to a couple of ms: hand those
    # messages to the library before the interpreter goes, so none is lost. Not in a
    # forked child: its copy of a buffer belongs to the parent.
    if _native._forked:
        return
    for p in list(_live_producers):
        with contextlib.suppress(Exception):
            p._send_buffer(raise_errors=False)


def _stop_buffering_after_fork() -> None:
    # In a forked child the fast path must not queue into a buffer nobody will send
    # (nor take a lock another parent thread may have held at fork time): every
    # produce then takes the checked path, which raises KlientForkError.
    for p in list(_live_producers):
        p._buffering = False


os.register_at_fork(after_in_child=_stop_buffering_after_fork)


def _linger_loop(ref: weakref.ref[KafkaProducer], wake: threading.Event, linger: float) -> None:
    """The buffer's sender thread. Full buffers are sent at once (ctypes releases the
    GIL during the call, so the caller keeps filling the next buffer meanwhile); a
    partly filled buffer after `linger` seconds. Holds only a weak reference, so an
    abandoned producer is still collected (and the thread ends)."""
    while True:
        wake.wait()
        wake.clear()  # a later wake-up is seen on the next turn: nothing is missed
        p = ref()
        if p is None or p._closed or p._wake is not wake:  # closed (and maybe re-created)
            return
        if p._pending:
            p._flush_pending(raise_errors=False)
            if not p._buf_vals:
                del p
                continue
        del p
        time.sleep(linger)
        p = ref()
        if p is None or p._closed or p._wake is not wake:
            return
        p._send_buffer(raise_errors=False)
        del p
