"""KafkaProducer: produce (sync, queued, batch, asyncio), transactions, retry.

Everything goes through libklient; this module only converts arguments, owns the
handle and routes delivery reports. Reports of queued/async messages are pulled in
batches (one crossing for up to 1024) and matched to their waiters by id; asyncio
waits on the producer's readiness file descriptor through the running loop, so no
thread is used per call.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import json
import logging
import os
import struct
import threading
import time
import weakref
from array import array
from collections import deque
from ctypes import byref, c_int, c_size_t, c_uint64, c_void_p
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from . import _native
from . import errors as _e
from ._native import MessageIn, lib
from .config import DEFAULT_BOOTSTRAP, ProducerConfig, encode, role_config
# Importable from klient.producer, as in the released module.
from .config import extract_bootstrap, resolve_env_config, split_env_config  # noqa: F401
from .errors import (
    KafkaProducerCircuitOpenError,
    KafkaProducerError,
    KafkaProducerFatalError,
    KafkaProducerFencedError,
    KafkaProducerRetriableError,
    KafkaTransactionError,
)

if TYPE_CHECKING:  # pragma: no cover
    from .consumer import KafkaConsumer, MessageResult

__all__ = [
    "KafkaProducer",
    "ProducerConfig",
    "ProduceResult",
    "TransactionResult",
    "RETRIABLE_ERROR_CODES",
    "FATAL_ERROR_CODES",
    "FENCING_ERROR_CODES",
    "KafkaProducerError",
    "KafkaProducerRetriableError",
    "KafkaProducerFatalError",
    "KafkaTransactionError",
    "KafkaProducerFencedError",
    "KafkaProducerCircuitOpenError",
]

# "klient.producer", like the released module's `logger`: its records still reach
# handlers configured on "klient".
logger = logging.getLogger(__name__)
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
_SLICE_MS = 200  # blocking calls wait in slices this long so Ctrl-C is seen
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
    return [_native.as_bytes(x, what) for x in parts]


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


class KafkaProducer:
    """A Kafka producer backed by libklient.

    ``produce(topic, value, key, headers, partition, callback, flush=False)`` queues a
    message (the released glean-klient order and default); ``flush=True`` waits for its
    delivery. Keys and values accept ``bytes`` or ``str`` (UTF-8). Delivery callbacks
    (``callback=`` of one produce, or ``delivery_callback`` for all) get a
    :class:`ProduceResult` and run inside ``poll()`` / ``flush()``. The client is
    created by the first call that needs it, and again after ``close()``. A
    ``transactional_id`` in the config enables ``begin/commit/abort_transaction`` and
    the ``transaction()`` / ``atransaction()`` context managers.
    """

    def __init__(self, config: ProducerConfig, delivery_callback: Callable[[ProduceResult], Any] | None = None) -> None:
        if not isinstance(config, ProducerConfig):
            raise _e.KafkaProducerTypeError(f"KafkaProducer needs a ProducerConfig, got {type(config).__name__}")
        if delivery_callback is not None and not callable(delivery_callback):
            raise _e.KafkaProducerTypeError(f"delivery_callback must be callable, got {type(delivery_callback).__name__}")
        self._config = config
        self.delivery_callback = delivery_callback
        self._pid = os.getpid()
        self._h: c_void_p | None = None
        self._fd = -1
        self._lock = threading.RLock()
        # id -> callable(report) for every message someone waits for.
        self._waiters: dict[int, Callable[[_Report], None]] = {}
        self._loops: dict[asyncio.AbstractEventLoop, int] = {}
        self._reports = (_native.DeliveryReport * _REPORT_CAPACITY)()
        self._queued_since_drain = 0
        self._delivery_failures = 0
        self._closed = False
        # produce(flush=False) buffer: messages to one (topic, partition), sent with one
        # packed call per _BUF_MAX messages, on flush/poll/close/commit, or by the
        # linger thread. A transactional producer buffers only inside a transaction
        # (outside one, produce must fail at once, not later in the background).
        self._buf_lock = threading.Lock()
        self._buf_topic: str | None = None
        self._buf_part = -1
        self._buf_keys: list[bytes | None] = []
        self._buf_vals: list[bytes | None] = []
        # Full buffers waiting for the sender thread, in order: (topic, partition,
        # keys, values). _send_lock serialises the library calls that send them.
        self._pending: deque[tuple[str, int, list[bytes | None], list[bytes | None]]] = deque()
        self._send_lock = threading.Lock()
        self._txn_open = False
        self._linger = self._linger_seconds(config)
        self._buffering = False  # set when the client is created
        self._wake: threading.Event | None = None
        self._send_error: _e.KlientError | None = None
        # The first exception raised by a per-message delivery callback, raised by the
        # next flush()/poll() (where the released package's callbacks raise).
        self._callback_error: BaseException | None = None
        self._abuf: list[tuple[str, int, bytes | None, bytes | None, asyncio.Future[_Report]]] = []
        self._abuf_loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._known_parts: set[tuple[str, int]] = set()
        _live_producers.add(self)

    # ---- plumbing --------------------------------------------------------------------

    @staticmethod
    def _linger_seconds(config: ProducerConfig) -> float:
        """How long produce(flush=False) may keep a message in Python: at most
        _LINGER_CAP_MS. With linger.ms 0 the sender thread sends whatever gathered
        while it was busy, without waiting."""
        props = config.to_dict()
        raw = props.get("linger.ms", props.get("queue.buffering.max.ms"))
        try:
            ms = float(raw) if raw is not None else 5.0
        except (TypeError, ValueError):
            ms = 5.0  # the library rejects it at creation anyway
        return max(0.0, min(ms, _LINGER_CAP_MS)) / 1000.0

    def _open(self) -> c_void_p:
        """Create the client (first use, or first use after close())."""
        with self._lock:
            if self._h is not None:
                return self._h
            h = c_void_p()
            try:
                _native.call(lib.klient_producer_new, encode(self._config.to_dict()), byref(h), family="producer", op="create producer")
            except _e.KlientConfigError as e:
                raise KafkaProducerConfigError(str(e), code=e.code, kafka_code=e.kafka_code) from e
            fd = c_int()
            try:
                _native.call(lib.klient_producer_ready_fd, h, byref(fd), family="producer")
            except BaseException:  # pragma: no cover - only on a broken library
                lib.klient_producer_destroy(h)
                raise
            self._fd = fd.value
            self._wake = None
            self._closed = False
            self._h = h
            with self._buf_lock:
                self._txn_open = False
                self._buffering = _PACKED and not self._config.transactional_id
            return h

    def _handle(self, op: str) -> c_void_p:
        if _native._forked:
            _native.check_fork("this KafkaProducer", "producer", self._pid)
        h = self._h
        return h if h is not None else self._open()

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking call on this producer's own worker thread (one, so the async
        calls of one producer keep their order, like the released package)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="klient-producer")
        return asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    def _call(self, fn: Any, *args: Any, op: str) -> None:
        _native.call(fn, self._handle(op), *args, family="producer", op=op)

    @property
    def config(self) -> ProducerConfig:
        return self._config

    @property
    def transactional_id(self) -> str | None:
        return self._config.transactional_id

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        tx = f" transactional_id={self.transactional_id!r}" if self.transactional_id else ""
        return f"<KafkaProducer bootstrap_servers={self._config.bootstrap_servers!r}{tx} {state}>"

    def __enter__(self) -> KafkaProducer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __len__(self) -> int:
        """Queued/async messages whose delivery report has not arrived yet."""
        return self.pending

    @property
    def pending(self) -> int:
        """Messages queued (buffered or in the library) whose outcome is not known yet."""
        if self._h is None:  # not created yet, or closed: nothing in flight
            return self._buffered() + len(self._abuf)
        n = c_size_t()
        self._call(lib.klient_producer_pending, byref(n), op="pending")
        return n.value + self._buffered() + len(self._abuf)

    def _buffered(self) -> int:
        return len(self._buf_vals) + sum(len(b[3]) for b in list(self._pending))

    def stats(self) -> dict[str, int]:
        """Delivery counters since creation: ``delivered``, ``failed``, ``pending``
        (in the library) and ``buffered`` (produce(flush=False) messages not yet handed
        to it). Synchronous produce is not counted."""
        st = _native.ProducerStats()
        if self._h is None:
            return {"delivered": 0, "failed": 0, "pending": 0, "buffered": self._buffered()}
        self._call(lib.klient_producer_stats, byref(st), op="stats")
        return {"delivered": st.delivered, "failed": st.failed, "pending": st.pending, "buffered": self._buffered()}

    # ---- delivery reports ------------------------------------------------------------

    def _drain(self, timeout_ms: int = 0) -> int:
        """Pull up to 1024 delivery reports (one crossing) and hand them to waiters."""
        n = c_size_t()
        with self._lock:
            self._call(lib.klient_producer_poll_reports, self._reports, _REPORT_CAPACITY, timeout_ms, byref(n), op="poll_reports")
            count = n.value
            self._queued_since_drain = 0
            if not count:
                return 0
            # One C-speed pass over the raw reports; the error text is decoded only
            # for failures.
            raw = memoryview(self._reports).cast("B")[: count * _REPORT_STRUCT.size]
            pop = self._waiters.pop
            calls = []
            for i, (rid, part, off, ts, code, kc) in enumerate(_REPORT_STRUCT.iter_unpack(raw)):
                msg = ""
                if code:
                    at = i * _REPORT_STRUCT.size + _REPORT_MSG_AT
                    msg = bytes(raw[at : at + 256]).split(b"\0", 1)[0].decode("utf-8", "replace")
                calls.append((pop(rid, None) if rid else None, (rid, part, off, ts, code, kc, msg)))
        for cb, r in calls:
            if cb is not None:
                cb(r)
            elif r[4]:
                # Nobody waits for this report (an untracked or flush=False message):
                # count it and make the failure visible in the log.
                self._note_failure(r[0], r[6], r[4], r[5])
        return count

    def _note_failure(self, mid: int, error: str, code: int, kafka_code: int, n: int = 1) -> None:
        self._delivery_failures += n
        if kafka_code == _UNKNOWN_PARTITION:
            self._known_parts.clear()  # a partition accepted before metadata was known
        ev = {"event": "delivery_failed", "id": mid, "error": error, "error_code": code, "kafka_code": kafka_code}
        if n != 1:
            ev["messages"] = n
        _log.warning(json.dumps(ev))

    def poll(self, timeout: float | None = 0) -> int:
        """Send buffered messages and collect delivery reports of queued messages
        (waiting up to ``timeout`` seconds for the first one; None or < 0: until one
        arrives), running their delivery callbacks; returns how many reports were
        collected. Failures are counted in :attr:`delivery_failures` and logged;
        untracked messages (``produce(flush=False)`` without a callback) report only
        failures. An exception raised by a ``callback=`` is raised here as
        KafkaProducerError (as the released package does)."""
        try:
            ms = _native.timeout_ms(_seconds(timeout))
        except (TypeError, ValueError) as e:
            raise _typed(e) from None
        self._send_buffer()
        total = self._drain(min(ms, _SLICE_MS) if ms >= 0 else _SLICE_MS)
        deadline = time.monotonic() + (ms / 1000 if ms > 0 else 0)
        while total == 0 and (ms < 0 or time.monotonic() < deadline):
            total += self._drain(_SLICE_MS)
        while True:
            n = self._drain(0)
            total += n
            if n < _REPORT_CAPACITY:
                break
        self._raise_callback_error("Poll error")
        return total

    def _raise_callback_error(self, what: str) -> None:
        e, self._callback_error = self._callback_error, None
        if e is not None:
            raise KafkaProducerError(f"{what}: {e}") from e

    def _reporter(self, topic: str, callback: Callable[[ProduceResult], Any] | None) -> Callable[[_Report], None]:
        """The waiter that turns a delivery report into a ProduceResult for ``callback``
        (a produce's own) or else ``delivery_callback``. An exception of the producer's
        delivery_callback is logged; one of a per-message callback is raised by the
        next flush()/poll() (both as the released package)."""
        own = callback is not None
        cb = callback if own else self.delivery_callback

        def report(r: _Report) -> None:
            res = _result_of(topic, r)
            if not res.success:
                self._note_failure(r[0], r[6], r[4], r[5])
            if cb is None:
                return
            try:
                cb(res)
            except Exception as e:  # noqa: BLE001 - reported where the released package does
                if own:
                    if self._callback_error is None:
                        self._callback_error = e
                else:
                    _log.error(json.dumps({"event": "delivery_callback_failed", "topic": topic, "error": repr(e)}))

        return report

    @property
    def delivery_failures(self) -> int:
        """How many queued (flush=False) messages failed so far: rejected by the
        broker, or refused when handed to the library from the produce buffer."""
        return self._delivery_failures

    def _note_queued(self, n: int) -> None:
        self._queued_since_drain += n
        if self._queued_since_drain >= _DRAIN_EVERY:
            # Reports of queued messages pile up in the library until pulled.
            while self._drain(0) == _REPORT_CAPACITY:
                pass

    def _on_ready(self) -> None:
        # Runs on an event loop when the readiness fd is readable.
        if self._closed:
            return
        try:
            self._drain(0)
        except _e.KlientError:  # pragma: no cover - closed concurrently
            pass

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            n = self._loops.get(loop, 0)
            if n == 0:
                loop.add_reader(self._fd, self._on_ready)
            self._loops[loop] = n + 1

    def _unwatch(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            n = self._loops.get(loop, 0) - 1
            if n <= 0:
                self._loops.pop(loop, None)
                if not loop.is_closed() and not self._closed:
                    loop.remove_reader(self._fd)
            else:
                self._loops[loop] = n

    # ---- the produce(flush=False) buffer ------------------------------------------

    def _arm_linger(self) -> None:
        """Make sure the buffer is sent within the linger time."""
        w = self._wake
        if w is None:
            with self._lock:
                w = self._wake
                if w is None:
                    w = self._wake = threading.Event()
                    threading.Thread(
                        target=_linger_loop, args=(weakref.ref(self), w, self._linger),
                        name="klient-producer-linger", daemon=True,
                    ).start()
        w.set()

    def _send_buffer(self, raise_errors: bool = True) -> None:
        """Hand every buffered message to the library, in order. A failure to do so in
        the sender thread is kept and raised by the next flush/poll/commit (its messages
        are counted in delivery_failures at once). Also waits for a send the sender
        thread has in progress: what follows (a commit, a sync produce) must come after."""
        if self._buf_vals or self._pending:
            with self._buf_lock:
                self._seal_locked()
        if self._pending or self._send_lock.locked():
            self._flush_pending(raise_errors)
        if raise_errors and self._send_error is not None:
            e, self._send_error = self._send_error, None
            raise e

    def _unsent(self) -> bool:
        """Buffered messages not yet in the library (or being handed over right now)."""
        return bool(self._buf_vals or self._pending or self._send_lock.locked())

    def _seal_locked(self) -> None:
        # Caller holds _buf_lock: the current buffer joins the send queue.
        if self._buf_vals:
            self._pending.append((self._buf_topic or "", self._buf_part, self._buf_keys, self._buf_vals))
            self._buf_keys, self._buf_vals = [], []

    def _flush_pending(self, raise_errors: bool = True) -> None:
        """Send the queued buffers, oldest first (one library call per buffer). On an
        error the buffers after the failed one stay queued for the next attempt."""
        with self._send_lock:
            pending = self._pending
            while pending:
                topic, part, keys, vals = pending.popleft()
                try:
                    self._send_untracked(topic, part, keys, vals, keys.count(None), vals.count(None))
                except _e.KlientError as e:
                    if raise_errors:
                        raise
                    self._send_error = e

    def _send_untracked(self, topic: str, part: int, keys: list[Any], vals: list[Any], nk: int, nv: int) -> None:
        """Queue buffered messages without per-message reports (failures still come
        back, as reports with id 0). A message the library refuses (too large, unknown
        partition) is counted as a failure and skipped; an error that stops the producer
        (closed, fatal, fenced, transaction state) counts the unsent rest and raises."""
        n = len(vals)
        if self._closed or self._h is None or _native._forked:
            self._note_failure(0, "producer closed before the buffered messages were sent", _e.ERR_CLOSED, 0, n)
            self._handle("produce")
        h = self._h
        if 0 < nk < n or 0 < nv < n:
            # Null and non-null keys (or values) in one run cannot be packed.
            p = None if part < 0 else part
            ins = [MessageIn(topic, k, v, p) for k, v in zip(keys, vals)]
            self._send_structs(h, ins, "produce")
            return
        tb = topic.encode("utf-8")
        kb = ko = vb = vo = None
        if nk < n:
            kb, ko = b"".join(keys), _offsets(keys)
        if nv < n:
            vb, vo = b"".join(vals), _offsets(vals)
        kaddr = ko.buffer_info()[0] if ko is not None else 0
        vaddr = vo.buffer_info()[0] if vo is not None else 0
        accepted = c_size_t()
        start = 0
        fn = lib.klient_producer_produce_packed
        while start < n:
            err = _native.new_err()
            rc = fn(h, tb, part, kb, kaddr + 8 * start if kb is not None else None, vb,
                    vaddr + 8 * start if vb is not None else None, n - start, 0, None, byref(accepted), byref(err))
            if rc == 0:
                break
            bad = start + accepted.value
            exc = _native.error_of(rc, err, "producer", "produce")
            if self._txn_open or exc.code in _STOP_CODES or exc.kafka_code == _KAFKA_ERR_FATAL:
                # In a transaction a refused message must fail the commit, not vanish.
                self._note_failure(0, str(exc), exc.code, exc.kafka_code, n - bad)
                raise exc
            self._note_failure(0, str(exc), exc.code, exc.kafka_code)
            start = bad + 1
        self._note_queued(n)

    def _send_structs(self, h: c_void_p, ins: list[MessageIn], op: str) -> None:
        """Queue through klient_producer_produce_batch (nobody waits for the reports;
        failures are counted by _drain); raises naming the refused message."""
        _first, accepted, rc, err = self._batch_structs(h, ins)
        if rc != 0:
            if op == "produce":  # buffered messages: nobody else will count them
                self._note_failure(0, "not queued", rc, 0, len(ins) - accepted)
            _native.raise_error(rc, err, "producer", f"{op} (message {accepted} of {len(ins)})")
        self._note_queued(len(ins))

    # ---- produce ---------------------------------------------------------------------

    def produce(
        self,
        topic: str,
        value: bytes | str | None = None,
        key: bytes | str | None = None,
        headers: Mapping[str, bytes | str | None] | Iterable[tuple[str, bytes | str | None]] | None = None,
        partition: int | None = None,
        callback: Callable[[ProduceResult], Any] | None = None,
        flush: bool = False,
        timestamp: int | None = None,
        timeout: float | None = 30.0,
    ) -> ProduceResult:
        """Produce one message (the released argument order and default).

        With ``flush=False`` (default) queue it and return ``status="queued"`` at once:
        the message may wait in a small in-process buffer for up to 2 ms (or 1000
        messages) before being handed to the library in one call; flush(), poll(),
        close(), commit_transaction() and interpreter exit send the buffer first.
        ``callback`` (or the producer's ``delivery_callback``) gets the final
        :class:`ProduceResult` from inside poll()/flush(). With ``flush=True`` wait up
        to ``timeout`` seconds for the delivery and return ``status="success"`` (or
        ``"error"`` with ``error`` set when the broker rejected it). Failures of queued
        messages are counted in :attr:`delivery_failures` and logged. Call errors
        (bad arguments, an unknown partition, a timeout) raise
        :class:`KafkaProducerError` subclasses.
        """
        try:
            if not flush and self._buffering and headers is None and callback is None and timestamp is None and self.delivery_callback is None:
                # Fast path: validate, append to the buffer, return.
                if value is not None and type(value) is not bytes:
                    value = _native.as_bytes(value, "value")
                if key is not None and type(key) is not bytes:
                    key = _native.as_bytes(key, "key")
                part = -1 if partition is None else partition if type(partition) is int and partition >= -1 else None
                # A partition is buffered once a checked produce has seen the client
                # accept it: a missing one must raise at the call.
                if part is not None and type(topic) is str and topic and (part < 0 or (topic, part) in self._known_parts):
                    with self._buf_lock:
                        if self._buffering:  # re-checked under the lock: close() clears it
                            vals = self._buf_vals
                            if not vals or topic != self._buf_topic or part != self._buf_part:
                                self._start_buffer(topic, part)
                                vals = self._buf_vals
                            self._buf_keys.append(key)
                            vals.append(value)
                            if len(vals) >= _BUF_MAX:
                                self._seal_locked()
                                if len(self._pending) > 2:
                                    # The sender thread is behind: send here (back-pressure).
                                    self._flush_pending()
                                else:
                                    self._wake.set()  # type: ignore[union-attr]
                            return ProduceResult(topic, partition)
            return self._produce_checked(topic, value, key, headers, partition, callback, flush, timestamp, timeout)
        except (TypeError, ValueError) as e:
            raise _typed(e) from None

    def _start_buffer(self, topic: str, part: int) -> None:
        # Caller holds _buf_lock. The topic's name is encoded here, in the caller's
        # thread, so a name that is not valid UTF-8 fails this produce instead of the
        # sender thread.
        topic.encode("utf-8")
        if self._buf_vals:
            self._seal_locked()
        self._buf_topic, self._buf_part = topic, part
        if self._wake is None:
            self._arm_linger()
        else:
            self._wake.set()

    def _produce_checked(
        self, topic: Any, value: Any, key: Any, headers: Any, partition: Any, callback: Any, flush: Any, timestamp: Any, timeout: Any
    ) -> ProduceResult:
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        m = MessageIn(topic, key, value, partition, headers, timestamp)
        h = self._handle("produce")
        if self._unsent():
            self._send_buffer()  # keep the order of earlier queued messages
        if not flush:
            mid = c_uint64()
            tracked = callback is not None or self.delivery_callback is not None
            with self._lock:
                _native.call(lib.klient_producer_produce_async, h, byref(m.struct), byref(mid), family="producer", op="produce")
                if tracked:
                    self._waiters[mid.value] = self._reporter(topic, callback)
            if partition is not None and partition >= 0:
                self._known_parts.add((topic, partition))
            self._note_queued(1)
            return ProduceResult(topic, partition)
        ms = _native.timeout_ms(_seconds(timeout))
        rep = _native.DeliveryReport()
        err = _native.new_err()
        rc = lib.klient_producer_produce(h, byref(m.struct), ms, byref(rep), byref(err))
        if rc != 0 and not rep.error_code:
            _native.raise_error(rc, err, "producer", "produce")
        if rc != 0 and err:
            lib.klient_error_destroy(err)
        r = _report_tuple(rep)
        if r[5] == _UNKNOWN_PARTITION:
            # The released package raises for a partition the topic does not have.
            self._known_parts.clear()
            raise KafkaProducerError(f"produce: {r[6]}", code=r[4], kafka_code=r[5])
        res = _result_of(topic, r)
        cb = callback if callback is not None else self.delivery_callback
        if cb is not None:
            self._reporter(topic, callback)(r)
            self._raise_callback_error("Produce error")
        return res

    def produce_batch(
        self,
        messages: Iterable[Any],
        flush: bool = True,
        topic: str | None = None,
        timeout: float | None = 30.0,
    ) -> list[ProduceResult]:
        """Produce many messages with ONE library call (``(messages, flush)`` is the
        released order).

        Each item is a mapping with ``topic`` (or the ``topic`` argument), ``key``,
        ``value``, ``partition``, ``headers``, ``timestamp``, ``callback`` (a delivery
        callback, as in produce); a ``MessageResult``; a
        ``(key, value)`` tuple; or a bare value (bytes/str). With ``flush=True`` wait for
        every delivery report and return one result per message, in order.

        With ``flush=False`` the messages are queued and the results say "queued". Bare
        values and ``(key, value)`` tuples for the ``topic`` argument are then sent
        *untracked* from two contiguous buffers (the fastest path): no per-message
        report on success; a failed delivery is counted in :attr:`delivery_failures`
        and logged (see also :meth:`stats`). A message the library refuses while queuing
        raises, naming its index; the ones before it were queued.
        """
        try:
            return self._produce_batch(messages, flush, topic, timeout)
        except (TypeError, ValueError) as e:
            raise _typed(e) from None

    def _produce_batch(self, messages: Iterable[Any], flush: bool, topic: str | None, timeout: float | None) -> list[ProduceResult]:
        if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
            raise TypeError(f"messages must be a list of messages, got {type(messages).__name__}")
        items = messages if type(messages) is list else list(messages)
        if not items:
            return []
        timeout = _seconds(timeout)
        if self.delivery_callback is not None or any(isinstance(it, Mapping) and it.get("callback") is not None for it in items):
            return self._batch_with_callbacks(items, flush, topic, timeout)
        h = self._handle("produce_batch")
        packed = self._pack_batch(items, topic) if _PACKED else None
        if self._unsent():
            self._send_buffer()
        if packed is None:
            ins = [self._message_in(item, topic, i) for i, item in enumerate(items)]
            topics = [mi.struct.topic.decode() for mi in ins]
            parts = [mi.struct.partition if mi.struct.partition >= 0 else None for mi in ins]
            if not flush:
                self._send_structs(h, ins, "produce_batch")
                return [ProduceResult(t, parts[i]) for i, t in enumerate(topics)]
            send: Callable[[], tuple[int, int, int, Any]] = lambda: self._batch_structs(h, ins)
        else:
            tb, kb, ko, vb, vo = packed
            kaddr = ko.buffer_info()[0] if ko is not None else None
            vaddr = vo.buffer_info()[0] if vo is not None else None
            topics = [topic] * len(items)  # type: ignore[list-item]
            parts = None
            flags = _native.PRODUCE_TRACKED if flush else 0
            n = len(items)

            def send() -> tuple[int, int, int, Any]:
                first, accepted = c_uint64(), c_size_t()
                err = _native.new_err()
                rc = lib.klient_producer_produce_packed(h, tb, -1, kb, kaddr, vb, vaddr, n, flags, byref(first), byref(accepted), byref(err))
                return first.value, accepted.value, rc, err

            if not flush:
                _first, accepted, rc, err = send()
                if rc != 0:
                    _native.raise_error(rc, err, "producer", f"produce_batch (message {accepted} of {n})")
                self._note_queued(n)
                return list(map(ProduceResult, repeat(topic, n)))
        return self._batch_wait(send, topics, parts, timeout)

    def _batch_structs(self, h: c_void_p, ins: list[MessageIn]) -> tuple[int, int, int, Any]:
        arr = (_native.Message * len(ins))()
        fill = _native.fill_message
        for i, mi in enumerate(ins):
            fill(arr[i], mi)
        first, accepted = c_uint64(), c_size_t()
        err = _native.new_err()
        rc = lib.klient_producer_produce_batch(h, arr, len(ins), byref(first), byref(accepted), byref(err))
        return first.value, accepted.value, rc, err

    def _batch_wait(
        self, send: Callable[[], tuple[int, int, int, Any]], topics: list[str], parts: list[int | None] | None, timeout: float | None
    ) -> list[ProduceResult]:
        """Send a tracked batch and wait for every report (in order)."""
        n = len(topics)
        results: dict[int, _Report] = {}
        done = threading.Event()
        want = n

        def collect(r: _Report) -> None:
            results[r[0]] = r
            if len(results) >= want:
                done.set()

        with self._lock:
            first, accepted, rc, err = send()
            want = accepted
            self._waiters.update(dict.fromkeys(range(first, first + accepted), collect))
        if rc != 0:
            with self._lock:
                for i in range(accepted):
                    self._waiters.pop(first + i, None)
            _native.raise_error(rc, err, "producer", f"produce_batch (message {accepted} of {n})")
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not done.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                self._drain(_SLICE_MS)
        finally:
            with self._lock:
                for i in range(n):
                    self._waiters.pop(first + i, None)
        out = []
        get = results.get
        for i, t in enumerate(topics):
            r = get(first + i)
            out.append(_result_of(t, r) if r else ProduceResult(t, -1, -1, False, "no delivery report before the timeout (the message may still be delivered)"))
        return out

    @staticmethod
    def _pack_batch(items: list[Any], topic: str | None) -> tuple[bytes, Any, Any, Any, Any] | None:
        """(topic, keys, key offsets, values, value offsets) for a batch of bare values
        or (key, value) tuples to `topic`, or None when it needs the per-message path
        (mappings, MessageResults, a mix of null and non-null keys or values)."""
        if type(topic) is not str or not topic:
            return None
        types = set(map(type, items))
        if types <= _PLAIN_TYPES or types <= {bytes, str, _NONE_T}:
            keys = None
            vals = _plain(items, "value")
        elif types == {tuple} and set(map(len, items)) == {2}:
            ks, vs = zip(*items)
            keys, vals = _plain(list(ks), "key"), _plain(list(vs), "value")
        else:
            return None
        n = len(items)
        kb = ko = vb = vo = None
        if keys is not None:
            nk = keys.count(None)
            if 0 < nk < n:
                return None
            if nk == 0:
                kb, ko = b"".join(keys), _offsets(keys)
        nv = vals.count(None)
        if 0 < nv < n:
            return None
        if nv == 0:
            vb, vo = b"".join(vals), _offsets(vals)
        return topic.encode("utf-8"), kb, ko, vb, vo

    def _batch_with_callbacks(self, items: list[Any], flush: bool, topic: str | None, timeout: float | None) -> list[ProduceResult]:
        """Messages with delivery callbacks: queued one by one (each tracked), then
        flushed when ``flush``; the results are the delivered ones where known."""
        out: list[ProduceResult | None] = [None] * len(items)

        def slot(i: int, cb: Callable[[ProduceResult], Any] | None) -> Callable[[ProduceResult], None]:
            def on_delivery(res: ProduceResult) -> None:
                out[i] = res
                if cb is not None:
                    cb(res)  # an exception is raised by flush()/poll(), like produce(callback=)
                elif self.delivery_callback is not None:
                    try:
                        self.delivery_callback(res)
                    except Exception as e:  # noqa: BLE001 - logged, as the released package
                        _log.error(json.dumps({"event": "delivery_callback_failed", "topic": res.topic, "error": repr(e)}))
            return on_delivery

        queued = []
        for i, item in enumerate(items):
            t, k, v, p, hd, ts, cb = self._item_fields(item, topic, i)
            if cb is not None and not callable(cb):
                raise TypeError(f"message {i}: callback must be callable, got {type(cb).__name__}")
            queued.append(self._produce_checked(t, v, k, hd, p, slot(i, cb), False, ts, None))
        if flush:
            self.flush(-1 if timeout is None else timeout)
        return [r if r is not None else queued[i] for i, r in enumerate(out)]

    @staticmethod
    def _item_fields(item: Any, topic: str | None, i: int) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
        """(topic, key, value, partition, headers, timestamp, callback) of one batch item."""
        if type(item) is dict or isinstance(item, Mapping):
            unknown = set(item) - {"topic", "key", "value", "partition", "headers", "timestamp", "callback"}
            if unknown:
                raise TypeError(f"message {i}: unknown field(s) {sorted(unknown)}")
            return (item.get("topic", topic), item.get("key"), item.get("value"), item.get("partition"),
                    item.get("headers"), item.get("timestamp"), item.get("callback"))
        if isinstance(item, tuple) and len(item) == 2:
            return topic, item[0], item[1], None, None, None, None
        if isinstance(item, (bytes, str, bytearray, memoryview)) or item is None:
            return topic, None, item, None, None, None, None
        if hasattr(item, "value") and hasattr(item, "key"):
            return topic or getattr(item, "topic", None), item.key, item.value, None, getattr(item, "headers", None), None, None
        raise TypeError(f"message {i}: expected a dict, a (key, value) tuple, bytes/str or a MessageResult, got {type(item).__name__}")

    @classmethod
    def _message_in(cls, item: Any, topic: str | None, i: int) -> MessageIn:
        t, k, v, p, hd, ts, _cb = cls._item_fields(item, topic, i)
        return MessageIn(t, k, v, p, hd, ts)

    async def aproduce(
        self,
        topic: str,
        value: bytes | str | None = None,
        key: bytes | str | None = None,
        headers: Mapping[str, bytes | str | None] | Iterable[tuple[str, bytes | str | None]] | None = None,
        partition: int | None = None,
        callback: Callable[[ProduceResult], Any] | None = None,
        flush: bool = False,
        timestamp: int | None = None,
    ) -> ProduceResult:
        """The asyncio form of :meth:`produce` (same arguments and order).

        ``flush=False`` (default) queues the message (status "queued") and yields to
        the loop once. ``flush=True`` awaits its delivery without blocking the event
        loop (the loop watches the producer's readiness fd; no thread is used):
        concurrent calls of one loop iteration are sent together, in one library call
        per topic run, and resolved from the batched delivery reports; ``callback``
        then gets the result too."""
        if not flush:
            res = self.produce(topic, value, key, headers, partition, callback, False, timestamp)
            await asyncio.sleep(0)  # a producing loop must not starve the loop's other tasks
            return res
        if callback is not None and not callable(callback):
            raise _e.KafkaProducerTypeError(f"callback must be callable, got {type(callback).__name__}")
        try:
            res = await self._aproduce_delivered(topic, key, value, partition, headers, timestamp)
        except (TypeError, ValueError) as e:
            raise _typed(e) from None
        if res.kafka_code == _UNKNOWN_PARTITION:
            raise KafkaProducerError(f"aproduce: {res.error}", code=res.error_code, kafka_code=res.kafka_code)
        cb = callback if callback is not None else self.delivery_callback
        if cb is not None:
            cb(res)
        return res

    async def _aproduce_delivered(
        self, topic: Any, key: Any, value: Any, partition: Any, headers: Any, timestamp: Any
    ) -> ProduceResult:
        h = self._handle("aproduce")
        loop = asyncio.get_running_loop()
        if headers is None and timestamp is None and _PACKED:
            if type(value) is not bytes:
                value = _native.as_bytes(value, "value")
            if type(key) is not bytes:
                key = _native.as_bytes(key, "key")
            part = -1 if partition is None else partition if type(partition) is int and partition >= -1 else None
            abuf = self._abuf
            if part is not None and type(topic) is str and topic and (not abuf or self._abuf_loop is loop):
                afut: asyncio.Future[_Report] = loop.create_future()
                abuf.append((topic, part, key, value, afut))
                if len(abuf) == 1:
                    self._abuf_loop = loop
                    loop.call_soon(self._asend)
                return _result_of(topic, await afut)
        m = MessageIn(topic, key, value, partition, headers, timestamp)
        if self._unsent() or self._abuf:
            self._asend()
        fut: asyncio.Future[_Report] = loop.create_future()

        def deliver(r: _Report) -> None:
            if asyncio._get_running_loop() is loop:
                if not fut.done():
                    fut.set_result(r)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(r))

        mid = c_uint64()
        with self._lock:
            _native.call(lib.klient_producer_produce_async, h, byref(m.struct), byref(mid), family="producer", op="aproduce")
            self._waiters[mid.value] = deliver
        self._watch(loop)
        try:
            return _result_of(topic, await fut)
        finally:
            with self._lock:
                self._waiters.pop(mid.value, None)
            self._unwatch(loop)

    def _asend(self) -> None:
        """Send the aproduce() calls collected on the loop: one tracked packed call per
        run of messages to one (topic, partition) with the same null-ness of key and
        value; one waiter per run resolves its futures from the reports."""
        batch, self._abuf = self._abuf, []
        if self._unsent():
            with contextlib.suppress(_e.KlientError):  # counted and logged already
                self._send_buffer(raise_errors=False)
        if not batch:
            return
        loop = self._abuf_loop or asyncio.get_event_loop()
        i, n = 0, len(batch)
        while i < n:
            topic, part, k0, v0, _ = batch[i]
            kn, vn = k0 is None, v0 is None
            j = i + 1
            while j < n:
                t, p, k, v, _ = batch[j]
                if t != topic or p != part or (k is None) != kn or (v is None) != vn:
                    break
                j += 1
            self._asend_run(loop, topic, part, batch[i:j], kn, vn)
            i = j

    def _asend_run(self, loop: asyncio.AbstractEventLoop, topic: str, part: int, run: list[Any], kn: bool, vn: bool) -> None:
        futs = [r[4] for r in run]
        n = len(run)
        keys = None if kn else [r[2] for r in run]
        vals = None if vn else [r[3] for r in run]
        kb = b"".join(keys) if keys is not None else None
        vb = b"".join(vals) if vals is not None else None
        ko = _offsets(keys) if keys is not None else None
        vo = _offsets(vals) if vals is not None else None
        left = [n]

        def deliver(r: _Report) -> None:
            fut = futs[r[0] - first]
            if asyncio._get_running_loop() is loop:
                if not fut.done():
                    fut.set_result(r)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(r))
            left[0] -= 1
            if left[0] == 0:
                if asyncio._get_running_loop() is loop:
                    self._unwatch(loop)
                elif not loop.is_closed():
                    loop.call_soon_threadsafe(self._unwatch, loop)

        fa, acc = c_uint64(), c_size_t()
        err = _native.new_err()
        try:
            h = self._handle("aproduce")
        except _e.KlientError as e:
            for f in futs:
                if not f.done():
                    f.set_exception(e)
            return
        self._watch(loop)
        with self._lock:
            rc = lib.klient_producer_produce_packed(
                h, topic.encode("utf-8"), part, kb, ko.buffer_info()[0] if ko is not None else None,
                vb, vo.buffer_info()[0] if vo is not None else None, n, _native.PRODUCE_TRACKED,
                byref(fa), byref(acc), byref(err),
            )
            first, accepted = fa.value, acc.value
            self._waiters.update(dict.fromkeys(range(first, first + accepted), deliver))
        if rc != 0:
            exc = _native.error_of(rc, err, "producer", "aproduce")
            for f in futs[accepted:]:
                if not f.done():
                    f.set_exception(exc)
            left[0] = accepted
            if accepted == 0:
                self._unwatch(loop)

    def flush(self, timeout: float | None = -1) -> int:
        """Send buffered messages, then wait until every queued message is delivered
        (or ``timeout`` seconds pass; -1 or None: no limit), running delivery
        callbacks; returns how many are still in flight. Interruptible with Ctrl-C.
        Failures of queued messages do not raise: they are counted in
        :attr:`delivery_failures` (and :meth:`stats`) and logged; an error that stopped
        the buffer from being handed to the library, or an exception of a produce's
        ``callback``, is raised here."""
        timeout = _seconds(timeout)
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise _e.KafkaProducerTypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
        h = self._handle("flush")
        if self._abuf:
            self._asend()
        self._send_buffer()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _SLICE_MS if deadline is None else max(0, min(_SLICE_MS, int((deadline - time.monotonic()) * 1000)))
            err = _native.new_err()
            rc = lib.klient_producer_flush(h, left, byref(err))
            if rc == 0:
                break
            if rc != _e.ERR_TIMEOUT:
                _native.raise_error(rc, err, "producer", "flush")
            if err:
                lib.klient_error_destroy(err)
            if deadline is not None and time.monotonic() >= deadline:
                break
        while self._drain(0) == _REPORT_CAPACITY:
            pass
        self._raise_callback_error("Flush error")
        return self.pending

    async def aflush(self, timeout: float | None = -1) -> int:
        """The asyncio form of :meth:`flush` (run on the producer's worker thread)."""
        return await self._run(self.flush, timeout)

    async def aproduce_batch(self, messages: Iterable[Any], flush: bool = True, topic: str | None = None,
                             timeout: float | None = 30.0) -> list[ProduceResult]:
        """The asyncio form of :meth:`produce_batch` (run on the producer's worker
        thread, so waiting for the deliveries does not block the loop)."""
        if not isinstance(messages, list):
            messages = list(messages)  # an iterator is read here, not on another thread
        return await self._run(self.produce_batch, messages, flush, topic, timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Abort an open transaction, flush (up to ``timeout`` seconds) and release the
        client. Closing twice is a no-op; a later produce (or any call that needs the
        client) creates a new one, as in the released package."""
        ex, self._executor = self._executor, None
        if ex is not None:
            ex.shutdown(wait=True)
        if self._h is None:
            self._closed = True
            return
        if _native.in_forked_child():
            # The library's threads are gone in a forked child: just drop the handle.
            self._closed = True
            return
        self._abort_quietly()
        if self._waiters or self._abuf:
            # Delivery callbacks and awaited deliveries get their real reports.
            try:
                self.flush(timeout)
            except Exception as e:  # noqa: BLE001 - close still releases the client (released: logged)
                _log.warning(json.dumps({"event": "close_flush_failed", "error": str(e)}))
        with self._buf_lock:
            self._buffering = False
            self._seal_locked()
        try:
            self._flush_pending()
        except _e.KlientError as e:  # that buffer is counted in delivery_failures already
            _log.warning(json.dumps({"event": "close_send_failed", "error": str(e)}))
            left = self._buffered()
            if left:
                self._note_failure(0, f"not sent before close: {e}", e.code, e.kafka_code, left)
        self._pending.clear()
        if self._abuf:
            self._asend()
        h = self._h
        err = _native.new_err()
        rc = lib.klient_producer_close(h, _native.timeout_ms(timeout), byref(err))
        with self._lock:
            self._closed = True
            for loop in list(self._loops):
                if not loop.is_closed():
                    with contextlib.suppress(Exception):
                        loop.remove_reader(self._fd)
            self._loops.clear()
            waiters, self._waiters = self._waiters, {}
        closed_report: _Report = (0, -1, -1, 0, _e.ERR_CLOSED, 0, "producer closed before the delivery report arrived")
        for cb in waiters.values():
            cb(closed_report)
        lib.klient_producer_destroy(h)
        self._h = None
        if self._wake is not None:
            self._wake.set()  # the linger thread sees the producer closed and ends
        if rc != 0:
            _native.raise_error(rc, err, "producer", "close")
        elif err:  # pragma: no cover
            lib.klient_error_destroy(err)

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is not None and not getattr(self, "_closed", True) and not _native.in_forked_child():
            with contextlib.suppress(Exception):
                self._send_buffer(raise_errors=False)
            with contextlib.suppress(Exception):
                lib.klient_producer_destroy(h)
        w = getattr(self, "_wake", None)
        if w is not None:
            w.set()

    # ---- retry -----------------------------------------------------------------------

    def produce_with_retry(self, *args: Any, max_attempts: int = 5, base_backoff: float = 0.05, **kwargs: Any) -> ProduceResult:
        """Produce and wait for the delivery, retrying retriable failures with
        exponential backoff (``base_backoff * 2^(attempt-1)`` seconds, +-10% jitter).
        ``args``/``kwargs`` are produce()'s (topic, value, key, headers, partition,
        callback, flush, timestamp, timeout: seconds per attempt, None for no limit);
        ``callback`` gets the final result. Raises KafkaProducerRetriableError when the
        attempts are exhausted (the circuit breaker then opens: later calls raise
        KafkaProducerCircuitOpenError until it cools down), KafkaProducerFatalError /
        KafkaProducerFencedError at once for those."""
        try:
            a = _produce_args(args, kwargs)
            max_attempts, base_ms = self._retry_args(max_attempts, base_backoff)
            m = MessageIn(a["topic"], a.get("key"), a.get("value"), a.get("partition"), a.get("headers"), a.get("timestamp"))
            ms = _native.timeout_ms(_seconds(a.get("timeout")))
        except (TypeError, ValueError) as e:
            raise _typed(e) from None
        h = self._handle("produce_with_retry")
        if self._unsent():
            self._send_buffer()  # keep the order of earlier queued messages
        rep = _native.DeliveryReport()
        _native.call(lib.klient_producer_produce_with_retry, h, byref(m.struct), max_attempts, base_ms, ms, byref(rep),
                     family="producer", op="produce_with_retry")
        res = _result_of(a["topic"], _report_tuple(rep))
        cb = a.get("callback") or self.delivery_callback
        if cb is not None:
            cb(res)
        return res

    @staticmethod
    def _retry_args(max_attempts: int, base_backoff: float) -> tuple[int, int]:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        if isinstance(base_backoff, bool) or not isinstance(base_backoff, (int, float)) or base_backoff < 0:
            raise ValueError(f"base_backoff must be a number of seconds >= 0, got {base_backoff!r}")
        return max_attempts, max(1, int(base_backoff * 1000))

    async def aproduce_with_retry(self, *args: Any, max_attempts: int = 5, base_backoff: float = 0.05, **kwargs: Any) -> ProduceResult:
        """The asyncio form of :meth:`produce_with_retry` (same arguments).

        The retries, backoff, error classification and circuit breaker are the core's,
        exactly as in the synchronous form (one library call, run on the loop's default
        executor so the event loop keeps running while it backs off)."""
        try:
            _produce_args(args, kwargs)
            self._retry_args(max_attempts, base_backoff)
        except (TypeError, ValueError) as e:
            raise _typed(e) from None
        call = functools.partial(self.produce_with_retry, *args, max_attempts=max_attempts, base_backoff=base_backoff, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(None, call)
        except KafkaProducerRetriableError as e:
            # The spec names this event for the async form; the core has already
            # opened the breaker and emitted produce_circuit_open.
            _log.warning(json.dumps({"event": "produce_async_circuit_open", "attempts": max_attempts, "error": str(e)}))
            raise

    @property
    def breaker_state(self) -> str:
        """The circuit breaker's state: "closed", "open" or "half_open"."""
        st = c_int()
        self._call(lib.klient_producer_breaker_state, byref(st), op="breaker_state")
        return _BREAKER_STATES.get(st.value, "unknown")

    def configure_breaker(self, cooldown: float = 5.0) -> None:
        """Replace the circuit breaker with a closed one using ``cooldown`` seconds."""
        self._call(lib.klient_producer_breaker_configure, _native.timeout_ms(cooldown, "cooldown"), op="configure_breaker")

    # ---- transactions ----------------------------------------------------------------

    def _txn_handle(self, op: str) -> c_void_p:
        if not self._config.transactional_id:
            raise KafkaTransactionError(
                f"{op}: Producer not configured for transactions (no transactional_id); create it with "
                f"ProducerConfig(transactional_id=...) to use transactions",
                code=_e.ERR_TRANSACTION,
            )
        return self._handle(op)

    @property
    def supports_transactions(self) -> bool:
        """True when the config has a transactional_id."""
        return bool(self._config.transactional_id)

    def init_transactions(self, timeout: float = 30.0) -> None:
        """Register the transactional id (fencing older producers). Called lazily by
        the first begin_transaction."""
        h = self._txn_handle("init_transactions")
        _native.call(lib.klient_producer_init_transactions, h, _native.timeout_ms(timeout), family="producer", op="init_transactions")

    def _txn_step(self, fn: Any, op: str, operation: str, *args: Any) -> TransactionResult:
        h = self._txn_handle(op)
        res = _native.TxnResult()
        err = _native.new_err()
        rc = fn(h, *args, byref(res), byref(err))
        if rc != 0:
            _native.raise_error(rc, err, "producer", op)
        return TransactionResult(self._config.transactional_id or "", True, operation, None, res.duration_ms)

    def begin_transaction(self) -> TransactionResult:
        """Begin a transaction (initialising transactions on first use). Raises
        KafkaTransactionError when one is already open."""
        if self.supports_transactions and self.in_transaction:
            raise KafkaTransactionError("begin_transaction: Transaction already in progress", code=_e.ERR_TRANSACTION)
        res = self._txn_step(lib.klient_producer_begin_transaction, "begin_transaction", "begin")
        with self._buf_lock:
            self._txn_open = True
            self._buffering = _PACKED
        return res

    def _end_txn(self) -> None:
        with self._buf_lock:
            self._txn_open = False
            self._buffering = False

    def _check_open_txn(self, op: str, what: str) -> None:
        if self.supports_transactions and not self.in_transaction:
            raise KafkaTransactionError(f"{op}: No active transaction to {what}", code=_e.ERR_TRANSACTION)

    def commit_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Send buffered messages, flush and commit; delivery callbacks of the
        transaction's messages run here. Raises KafkaTransactionError (also when no
        transaction is open; ``txn_requires_abort`` set when you must abort, e.g. when
        a buffered message could not be queued), KafkaProducerFencedError,
        KafkaProducerFatalError."""
        self._txn_handle("commit_transaction")
        self._check_open_txn("commit_transaction", "commit")
        if self._abuf:
            self._asend()
        try:
            self._send_buffer()
        except KafkaProducerFencedError:
            raise
        except _e.KlientError as e:
            if e.kafka_code == _KAFKA_ERR_FATAL:
                raise
            raise KafkaTransactionError(
                f"commit_transaction: buffered messages could not be queued ({e}); abort the transaction",
                code=_e.ERR_TRANSACTION, kafka_code=e.kafka_code, txn_requires_abort=True,
            ) from e
        res = self._txn_step(lib.klient_producer_commit_transaction, "commit_transaction", "commit", _native.timeout_ms(timeout))
        self._end_txn()
        while self._drain(0) == _REPORT_CAPACITY:
            pass
        return res

    def abort_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Abort: nothing produced in the transaction becomes visible to read_committed
        (messages still in the produce(flush=False) buffer are dropped). Raises
        KafkaTransactionError when no transaction is open."""
        self._txn_handle("abort_transaction")
        self._check_open_txn("abort_transaction", "abort")
        with self._buf_lock, self._send_lock:
            self._buf_keys, self._buf_vals = [], []
            self._pending.clear()
        self._send_error = None
        res = self._txn_step(lib.klient_producer_abort_transaction, "abort_transaction", "abort", _native.timeout_ms(timeout))
        self._end_txn()
        while self._drain(0) == _REPORT_CAPACITY:
            pass
        return res

    async def abegin_transaction(self) -> TransactionResult:
        """The asyncio form of :meth:`begin_transaction` (on the producer's worker thread)."""
        return await self._run(self.begin_transaction)

    async def acommit_transaction(self) -> TransactionResult:
        """The asyncio form of :meth:`commit_transaction` (on the producer's worker thread)."""
        return await self._run(self.commit_transaction)

    async def aabort_transaction(self) -> TransactionResult:
        """The asyncio form of :meth:`abort_transaction` (on the producer's worker thread)."""
        return await self._run(self.abort_transaction)

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open (False before the client exists and once closed)."""
        if self._closed or self._h is None:
            return False
        out = c_int()
        self._call(lib.klient_producer_in_transaction, byref(out), op="in_transaction")
        return bool(out.value)

    def _abort_quietly(self) -> None:
        try:
            if self.in_transaction:
                self.abort_transaction()
        except _e.KlientError as e:
            _log.warning(json.dumps({"event": "transaction_abort_failed", "transaction_id": self.transactional_id, "error": str(e)}))

    def _commit_or_abort(self) -> TransactionResult:
        try:
            return self.commit_transaction()
        except KafkaTransactionError as e:
            if e.txn_requires_abort:
                self._abort_quietly()
            raise

    class TransactionContext:
        """``with producer.transaction() as tx:`` begins (``tx.result`` is begin's
        TransactionResult), commits when the block ends, aborts and re-raises when it
        raises. Other attributes are the producer's (``tx.produce(...)``)."""

        def __init__(self, producer: KafkaProducer) -> None:
            self.producer = producer
            self.result: TransactionResult | None = None

        def __getattr__(self, name: str) -> Any:
            if name == "producer":  # not set yet (e.g. copy): no recursion
                raise AttributeError(name)
            return getattr(self.producer, name)

        def __enter__(self) -> KafkaProducer.TransactionContext:
            self.result = self.producer.begin_transaction()
            return self

        def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
            if exc_type is not None:
                self.producer._abort_quietly()
            else:
                self.producer._commit_or_abort()

    class AsyncTransactionContext:
        """``async with producer.atransaction() as tx:`` the asyncio form of
        :class:`TransactionContext` (begin, commit and abort run on the producer's
        worker thread, so the loop keeps running while they wait)."""

        def __init__(self, producer: KafkaProducer) -> None:
            self.producer = producer
            self.result: TransactionResult | None = None

        def __getattr__(self, name: str) -> Any:
            if name == "producer":  # not set yet (e.g. copy): no recursion
                raise AttributeError(name)
            return getattr(self.producer, name)

        async def __aenter__(self) -> KafkaProducer.AsyncTransactionContext:
            self.result = await self.producer.abegin_transaction()
            return self

        async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
            if exc_type is not None:
                await self.producer._run(self.producer._abort_quietly)
            else:
                await self.producer._run(self.producer._commit_or_abort)

    def transaction(self) -> KafkaProducer.TransactionContext:
        """A context manager around one transaction (see :class:`TransactionContext`)."""
        return self.TransactionContext(self)

    def atransaction(self) -> KafkaProducer.AsyncTransactionContext:
        """An async context manager around one transaction (see :class:`AsyncTransactionContext`)."""
        return self.AsyncTransactionContext(self)

    def send_offsets_to_transaction(self, consumer: KafkaConsumer, timeout: float = 30.0) -> None:
        """Add ``consumer``'s current positions (and group metadata) to the open
        transaction: they are committed if and only if the transaction commits."""
        from .consumer import KafkaConsumer

        if not isinstance(consumer, KafkaConsumer):
            raise TypeError(f"send_offsets_to_transaction needs a KafkaConsumer, got {type(consumer).__name__}")
        h = self._txn_handle("send_offsets_to_transaction")
        ch = consumer._handle("send_offsets_to_transaction")
        _native.call(lib.klient_producer_send_offsets, h, ch, _native.timeout_ms(timeout), family="producer", op="send_offsets_to_transaction")

    # ---- factories -------------------------------------------------------------------

    @classmethod
    def from_env_config(
        cls,
        env: str | None = None,
        config_file: str | None = None,
        transactional_id: str | None = None,
        delivery_callback: Callable[[ProduceResult], Any] | None = None,
        **overrides: Any,
    ) -> KafkaProducer:
        """A producer from the ``env`` environment of the config file (its flat keys
        overlaid by its ``producer`` section); the released parameters in their order.
        ``transactional_id`` wins over the file's ``transactional.id``; other keyword
        arguments override fields of the resulting ProducerConfig."""
        props = role_config(env, config_file, "producer")
        kw: dict[str, Any] = {
            "bootstrap_servers": str(props.pop("bootstrap.servers", DEFAULT_BOOTSTRAP)),
            "transactional_id": transactional_id or props.pop("transactional.id", None),
        }
        props.pop("transactional.id", None)
        kw["additional_config"] = props
        kw.update(overrides)
        return cls(ProducerConfig(**kw), delivery_callback)
