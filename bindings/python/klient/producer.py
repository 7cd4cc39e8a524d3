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
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Iterator, Mapping

from . import _native
from . import errors as _e
from ._native import MessageIn, lib
from .config import DEFAULT_BOOTSTRAP, ProducerConfig, encode, role_config
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

_log = logging.getLogger("klient")

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

    status: "success" (delivered), "error" (delivery failed; see ``error``) or "queued"
    (``flush=False``: handed to the producer, delivery not awaited).
    """

    status: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    timestamp: int | None = None
    error: str | None = None
    #: the KLIENT_ERR_* kind and librdkafka code of a failed delivery (0 when ok)
    error_code: int = field(default=0, repr=False, compare=False)
    kafka_code: int = field(default=0, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "error"


@dataclass(slots=True)
class TransactionResult:
    """The outcome of begin/commit/abort. ``duration_ms`` is the call's duration for
    begin and the whole transaction's for commit and abort."""

    success: bool
    error: str | None = None
    transaction_id: str | None = None
    duration_ms: float | None = None


_Report = tuple[int, int, int, int, int, int, str]  # id, partition, offset, ts, code, kafka_code, message


def _result_of(topic: str, r: _Report) -> ProduceResult:
    _id, partition, offset, ts, code, _kc, msg = r
    if code:
        return ProduceResult("error", topic, partition if partition >= 0 else None, None, ts or None, msg or _e.CODE_NAMES.get(code, "error"), code, _kc)
    return ProduceResult("success", topic, partition, offset if offset >= 0 else None, ts or None, None)


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
        if p is None or p._closed:
            return
        if p._pending:
            p._flush_pending(raise_errors=False)
            if not p._buf_vals:
                del p
                continue
        del p
        time.sleep(linger)
        p = ref()
        if p is None or p._closed:
            return
        p._send_buffer(raise_errors=False)
        del p


class KafkaProducer:
    """A Kafka producer backed by libklient.

    ``produce`` waits for the delivery report by default (``flush=True``); with
    ``flush=False`` it only queues. Keys and values accept ``bytes`` or ``str`` (UTF-8).
    A ``transactional_id`` in the config enables ``begin/commit/abort_transaction`` and
    the ``transaction()`` / ``atransaction()`` context managers.
    """

    def __init__(self, config: ProducerConfig) -> None:
        if not isinstance(config, ProducerConfig):
            raise TypeError(f"KafkaProducer needs a ProducerConfig, got {type(config).__name__}")
        self._config = config
        self._pid = os.getpid()
        self._h: c_void_p | None = None
        h = c_void_p()
        _native.call(lib.klient_producer_new, encode(config.to_dict()), byref(h), family="producer", op="create producer")
        self._h = h
        fd = c_int()
        _native.call(lib.klient_producer_ready_fd, h, byref(fd), family="producer")
        self._fd = fd.value
        self._lock = threading.RLock()
        # id -> callable(report) for every message someone waits for.
        self._waiters: dict[int, Callable[[_Report], None]] = {}
        self._loops: dict[asyncio.AbstractEventLoop, int] = {}
        self._ready_events: list[asyncio.Future[None]] = []
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
        self._buffering = _PACKED and self._linger > 0 and not config.transactional_id
        self._wake: threading.Event | None = None
        self._send_error: _e.KlientError | None = None
        self._abuf: list[tuple[str, int, bytes | None, bytes | None, asyncio.Future[_Report]]] = []
        self._abuf_loop: asyncio.AbstractEventLoop | None = None
        _live_producers.add(self)

    # ---- plumbing --------------------------------------------------------------------

    @staticmethod
    def _linger_seconds(config: ProducerConfig) -> float:
        """How long produce(flush=False) may keep a message in Python: at most
        _LINGER_CAP_MS, and 0 (no buffering) when linger.ms is 0."""
        props = config.to_dict()
        raw = props.get("linger.ms", props.get("queue.buffering.max.ms"))
        try:
            ms = float(raw) if raw is not None else 5.0
        except (TypeError, ValueError):
            ms = 5.0  # the library rejects it at creation anyway
        return min(ms, _LINGER_CAP_MS) / 1000.0

    def _handle(self, op: str) -> c_void_p:
        if _native._forked:
            _native.check_fork("this KafkaProducer", "producer", self._pid)
        if self._closed or self._h is None:
            raise KafkaProducerError(f"{op}: the producer is closed", code=_e.ERR_CLOSED)
        return self._h

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
        ev = {"event": "delivery_failed", "id": mid, "error": error, "error_code": code, "kafka_code": kafka_code}
        if n != 1:
            ev["messages"] = n
        _log.warning(json.dumps(ev))

    def poll(self, timeout: float = 0.0) -> int:
        """Send buffered messages and collect delivery reports of queued messages
        (waiting up to ``timeout`` seconds for the first one); returns how many reports
        were collected. Failures are counted in :attr:`delivery_failures` and logged;
        untracked messages (``produce(flush=False)``, ``produce_batch(flush=False)``)
        report only failures."""
        ms = _native.timeout_ms(timeout)
        self._send_buffer()
        total = self._drain(min(ms, _SLICE_MS) if ms >= 0 else _SLICE_MS)
        deadline = time.monotonic() + (timeout or 0)
        while total == 0 and (ms < 0 or time.monotonic() < deadline):
            total += self._drain(_SLICE_MS)
        while True:
            n = self._drain(0)
            total += n
            if n < _REPORT_CAPACITY:
                return total

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
        evs, self._ready_events = self._ready_events, []
        for ev in evs:
            if not ev.done():
                ev.set_result(None)

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
        are counted in delivery_failures at once)."""
        if self._buf_vals or self._pending:
            with self._buf_lock:
                self._seal_locked()
            self._flush_pending(raise_errors)
        if raise_errors and self._send_error is not None:
            e, self._send_error = self._send_error, None
            raise e

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
        key: bytes | str | None = None,
        value: bytes | str | None = None,
        partition: int | None = None,
        headers: Mapping[str, bytes | str | None] | Iterable[tuple[str, bytes | str | None]] | None = None,
        timestamp: int | None = None,
        flush: bool = True,
        timeout: float | None = 30.0,
    ) -> ProduceResult:
        """Produce one message.

        With ``flush=True`` (default) wait up to ``timeout`` seconds for its delivery
        and return ``status="success"`` (or ``"error"`` with ``error`` set when the
        broker rejected it). With ``flush=False`` queue it and return
        ``status="queued"`` at once: the message may wait in a small in-process buffer
        for up to 2 ms (or 1000 messages) before being handed to the library in one
        call; flush(), poll(), close(), commit_transaction() and interpreter exit send
        the buffer first. Failures of queued messages are counted in
        :attr:`delivery_failures` and logged. Call errors (closed producer, bad
        arguments, a timeout) raise :class:`KafkaProducerError` subclasses.
        """
        if not flush and headers is None and timestamp is None and self._buffering:
            # Fast path: validate, append to the buffer, return.
            if value is not None and type(value) is not bytes:
                value = _native.as_bytes(value, "value")
            if key is not None and type(key) is not bytes:
                key = _native.as_bytes(key, "key")
            part = -1 if partition is None else partition if type(partition) is int and partition >= -1 else None
            if part is not None and type(topic) is str and topic:
                with self._buf_lock:
                    if self._buffering:  # re-checked under the lock: close() clears it
                        vals = self._buf_vals
                        if not vals:
                            self._buf_topic, self._buf_part = topic, part
                            if self._wake is None:
                                self._arm_linger()
                            else:
                                self._wake.set()
                        elif topic != self._buf_topic or part != self._buf_part:
                            self._seal_locked()
                            vals = self._buf_vals
                            self._buf_topic, self._buf_part = topic, part
                            self._wake.set()  # type: ignore[union-attr]
                        self._buf_keys.append(key)
                        vals.append(value)
                        if len(vals) >= _BUF_MAX:
                            self._seal_locked()
                            if len(self._pending) > 2:
                                # The sender thread is behind: send here (back-pressure).
                                self._flush_pending()
                            else:
                                self._wake.set()  # type: ignore[union-attr]
                        return ProduceResult("queued", topic, partition)
        h = self._handle("produce")
        m = MessageIn(topic, key, value, partition, headers, timestamp)
        if self._buf_vals or self._pending:
            self._send_buffer()  # keep the order of earlier queued messages
        if not flush:
            mid = c_uint64()
            _native.call(lib.klient_producer_produce_async, h, byref(m.struct), byref(mid), family="producer", op="produce")
            self._note_queued(1)
            return ProduceResult("queued", topic, partition)
        ms = _native.timeout_ms(timeout)
        rep = _native.DeliveryReport()
        err = _native.new_err()
        rc = lib.klient_producer_produce(h, byref(m.struct), ms, byref(rep), byref(err))
        if rc == 0:
            return _result_of(topic, _report_tuple(rep))
        if rep.error_code:
            if err:
                lib.klient_error_destroy(err)
            return _result_of(topic, _report_tuple(rep))
        _native.raise_error(rc, err, "producer", "produce")
        raise AssertionError("unreachable")  # pragma: no cover

    def produce_batch(
        self,
        messages: Iterable[Any],
        topic: str | None = None,
        flush: bool = True,
        timeout: float | None = 30.0,
    ) -> list[ProduceResult]:
        """Produce many messages with ONE library call.

        Each item is a mapping with ``topic`` (or the ``topic`` argument), ``key``,
        ``value``, ``partition``, ``headers``, ``timestamp``; a ``MessageResult``; a
        ``(key, value)`` tuple; or a bare value (bytes/str). With ``flush=True`` wait for
        every delivery report and return one result per message, in order.

        With ``flush=False`` the messages are queued and the results say "queued". Bare
        values and ``(key, value)`` tuples for the ``topic`` argument are then sent
        *untracked* from two contiguous buffers (the fastest path): no per-message
        report on success; a failed delivery is counted in :attr:`delivery_failures`
        and logged (see also :meth:`stats`). A message the library refuses while queuing
        raises, naming its index; the ones before it were queued.
        """
        h = self._handle("produce_batch")
        items = messages if type(messages) is list else list(messages)
        if not items:
            return []
        packed = self._pack_batch(items, topic) if _PACKED else None
        if self._buf_vals or self._pending:
            self._send_buffer()
        if packed is None:
            ins = [self._message_in(item, topic, i) for i, item in enumerate(items)]
            topics = [mi.struct.topic.decode() for mi in ins]
            parts = [mi.struct.partition if mi.struct.partition >= 0 else None for mi in ins]
            if not flush:
                self._send_structs(h, ins, "produce_batch")
                return [ProduceResult("queued", t, parts[i]) for i, t in enumerate(topics)]
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
                return list(map(ProduceResult, repeat("queued", n), repeat(topic, n)))
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
            out.append(_result_of(t, r) if r else ProduceResult("error", t, None if parts is None else parts[i], error="no delivery report before the timeout (the message may still be delivered)"))
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

    @staticmethod
    def _message_in(item: Any, topic: str | None, i: int) -> MessageIn:
        if type(item) is dict or isinstance(item, Mapping):
            unknown = set(item) - {"topic", "key", "value", "partition", "headers", "timestamp"}
            if unknown:
                raise TypeError(f"message {i}: unknown field(s) {sorted(unknown)}")
            return MessageIn(item.get("topic", topic), item.get("key"), item.get("value"), item.get("partition"), item.get("headers"), item.get("timestamp"))
        if isinstance(item, tuple) and len(item) == 2:
            return MessageIn(topic, item[0], item[1])
        if isinstance(item, (bytes, str, bytearray, memoryview)) or item is None:
            return MessageIn(topic, None, item)
        if hasattr(item, "value") and hasattr(item, "key"):
            return MessageIn(topic or getattr(item, "topic", None), item.key, item.value, None, getattr(item, "headers", None))
        raise TypeError(f"message {i}: expected a dict, a (key, value) tuple, bytes/str or a MessageResult, got {type(item).__name__}")

    async def aproduce(
        self,
        topic: str,
        key: bytes | str | None = None,
        value: bytes | str | None = None,
        partition: int | None = None,
        headers: Mapping[str, bytes | str | None] | Iterable[tuple[str, bytes | str | None]] | None = None,
        timestamp: int | None = None,
    ) -> ProduceResult:
        """Produce one message and await its delivery without blocking the event loop
        (the loop watches the producer's readiness fd; no thread is used). Concurrent
        aproduce() calls of one loop iteration are sent together, in one library call
        per topic run, and resolved from the batched delivery reports."""
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
        if self._buf_vals or self._pending or self._abuf:
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
        if self._buf_vals or self._pending:
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

    def flush(self, timeout: float | None = None) -> int:
        """Send buffered messages, then wait until every queued message is delivered
        (or ``timeout`` seconds pass); returns how many are still in flight.
        Interruptible with Ctrl-C. Failures of queued messages do not raise: they are
        counted in :attr:`delivery_failures` (and :meth:`stats`) and logged; an error
        that stopped the buffer from being handed to the library is raised here."""
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
        return self.pending

    def close(self, timeout: float = 30.0) -> None:
        """Flush (up to ``timeout`` seconds), abort an open transaction and release the
        producer. Closing twice is a no-op; any later call raises KafkaProducerError."""
        if self._closed or self._h is None:
            return
        if _native.in_forked_child():
            # The library's threads are gone in a forked child: just drop the handle.
            self._closed = True
            return
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

    def produce_with_retry(
        self,
        topic: str,
        value: bytes | str | None = None,
        key: bytes | str | None = None,
        max_attempts: int = 5,
        base_backoff: float = 0.05,
        partition: int | None = None,
        headers: Any = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> ProduceResult:
        """Produce synchronously, retrying retriable failures with exponential backoff
        (``base_backoff * 2^(attempt-1)`` seconds, +-10% jitter). Raises
        KafkaProducerRetriableError when the attempts are exhausted (the circuit breaker
        then opens: later calls raise KafkaProducerCircuitOpenError until it cools down),
        KafkaProducerFatalError / KafkaProducerFencedError at once for those."""
        max_attempts, base_ms = self._retry_args(max_attempts, base_backoff)
        h = self._handle("produce_with_retry")
        m = MessageIn(topic, key, value, partition, headers, timestamp)
        rep = _native.DeliveryReport()
        _native.call(
            lib.klient_producer_produce_with_retry, h, byref(m.struct), max_attempts, base_ms,
            _native.timeout_ms(timeout), byref(rep), family="producer", op="produce_with_retry",
        )
        return _result_of(topic, _report_tuple(rep))

    @staticmethod
    def _retry_args(max_attempts: int, base_backoff: float) -> tuple[int, int]:
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be an int >= 1, got {max_attempts!r}")
        if isinstance(base_backoff, bool) or not isinstance(base_backoff, (int, float)) or base_backoff < 0:
            raise ValueError(f"base_backoff must be a number of seconds >= 0, got {base_backoff!r}")
        return max_attempts, max(1, int(base_backoff * 1000))

    async def aproduce_with_retry(
        self,
        topic: str,
        value: bytes | str | None = None,
        key: bytes | str | None = None,
        max_attempts: int = 5,
        base_backoff: float = 0.05,
        partition: int | None = None,
        headers: Any = None,
        timestamp: int | None = None,
    ) -> ProduceResult:
        """The asyncio form of :meth:`produce_with_retry`.

        The retries, backoff, error classification and circuit breaker are the core's,
        exactly as in the synchronous form (one library call, run on the loop's default
        executor so the event loop keeps running while it backs off)."""
        self._retry_args(max_attempts, base_backoff)
        call = functools.partial(self.produce_with_retry, topic, value, key, max_attempts, base_backoff,
                                 partition, headers, timestamp)
        try:
            return await asyncio.get_running_loop().run_in_executor(None, call)
        except KafkaProducerRetriableError as e:
            # The spec names this event for the async form; the core has already
            # opened the breaker and emitted produce_circuit_open.
            _log.warning(json.dumps({"event": "produce_async_circuit_open", "topic": topic,
                                     "attempts": max_attempts, "error": str(e)}))
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
        h = self._handle(op)
        if not self._config.transactional_id:
            raise KafkaTransactionError(
                f"{op}: this producer has no transactional_id; create it with "
                f"ProducerConfig(transactional_id=...) to use transactions",
                code=_e.ERR_TRANSACTION,
            )
        return h

    def init_transactions(self, timeout: float = 30.0) -> None:
        """Register the transactional id (fencing older producers). Called lazily by
        the first begin_transaction."""
        h = self._txn_handle("init_transactions")
        _native.call(lib.klient_producer_init_transactions, h, _native.timeout_ms(timeout), family="producer", op="init_transactions")

    def _txn_step(self, fn: Any, op: str, *args: Any) -> TransactionResult:
        h = self._txn_handle(op)
        res = _native.TxnResult()
        err = _native.new_err()
        rc = fn(h, *args, byref(res), byref(err))
        if rc != 0:
            _native.raise_error(rc, err, "producer", op)
        return TransactionResult(True, None, self._config.transactional_id, res.duration_ms)

    def begin_transaction(self) -> TransactionResult:
        """Begin a transaction (initialising transactions on first use)."""
        res = self._txn_step(lib.klient_producer_begin_transaction, "begin_transaction")
        with self._buf_lock:
            self._txn_open = True
            self._buffering = _PACKED and self._linger > 0
        return res

    def _end_txn(self) -> None:
        with self._buf_lock:
            self._txn_open = False
            self._buffering = False

    def commit_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Send buffered messages, flush and commit. Raises KafkaTransactionError
        (``txn_requires_abort`` set when you must abort, e.g. when a buffered message
        could not be queued), KafkaProducerFencedError, KafkaProducerFatalError."""
        self._txn_handle("commit_transaction")
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
        res = self._txn_step(lib.klient_producer_commit_transaction, "commit_transaction", _native.timeout_ms(timeout))
        self._end_txn()
        return res

    def abort_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Abort: nothing produced in the transaction becomes visible to read_committed
        (messages still in the produce(flush=False) buffer are dropped)."""
        self._txn_handle("abort_transaction")
        with self._buf_lock, self._send_lock:
            self._buf_keys, self._buf_vals = [], []
            self._pending.clear()
        self._send_error = None
        res = self._txn_step(lib.klient_producer_abort_transaction, "abort_transaction", _native.timeout_ms(timeout))
        self._end_txn()
        return res

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open (False once closed)."""
        if self._closed:
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

    @contextlib.contextmanager
    def transaction(self) -> Iterator[KafkaProducer]:
        """``with producer.transaction():`` begins, commits on success, and aborts and
        re-raises when the block raises."""
        self.begin_transaction()
        try:
            yield self
        except BaseException:
            self._abort_quietly()
            raise
        self._commit_or_abort()

    @contextlib.asynccontextmanager
    async def atransaction(self) -> AsyncIterator[KafkaProducer]:
        """``async with producer.atransaction():`` the asyncio form of transaction().
        Before committing it awaits outstanding deliveries on the readiness fd, so the
        commit itself does not block the loop on them."""
        self._txn_handle("begin_transaction")
        loop = asyncio.get_running_loop()
        if not getattr(self, "_txn_inited", False):
            # First use only: registering the transactional id is one blocking broker
            # round trip; do it off the loop once.
            await loop.run_in_executor(None, self.init_transactions)
            self._txn_inited = True
        self.begin_transaction()
        try:
            yield self
        except BaseException:
            self._abort_quietly()
            raise
        try:
            await self._await_deliveries()
        except BaseException:
            self._abort_quietly()
            raise
        self._commit_or_abort()

    async def _await_deliveries(self, timeout: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        if self._abuf:
            self._asend()
        self._send_buffer()
        if self.pending == 0:
            return
        self._watch(loop)
        try:
            deadline = loop.time() + timeout
            while self.pending > 0:
                if loop.time() >= deadline:
                    raise KafkaProducerRetriableError("atransaction: deliveries still pending at the deadline", code=_e.ERR_TIMEOUT)
                ev: asyncio.Future[None] = loop.create_future()
                self._ready_events.append(ev)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(ev, 0.05)
        finally:
            self._unwatch(loop)

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
    def from_env_config(cls, env: str | None = None, config_file: str | None = None, **overrides: Any) -> KafkaProducer:
        """A producer from the ``env`` environment of the config file (its flat keys
        overlaid by its ``producer`` section). Keyword arguments override fields of the
        resulting ProducerConfig."""
        props = role_config(env, config_file, "producer")
        kw: dict[str, Any] = {
            "bootstrap_servers": str(props.pop("bootstrap.servers", DEFAULT_BOOTSTRAP)),
            "transactional_id": props.pop("transactional.id", None),
            "client_id": props.pop("client.id", None),
        }
        if "acks" in props:
            kw["acks"] = str(props.pop("acks"))
        if "linger.ms" in props:
            kw["linger_ms"] = int(props.pop("linger.ms"))
        kw["additional_config"] = props
        kw.update(overrides)
        return cls(ProducerConfig(**kw))
