"""KafkaProducer: produce (sync, queued, batch, asyncio), transactions, retry.

Everything goes through libklient; this module only converts arguments, owns the
handle and routes delivery reports. Reports of queued/async messages are pulled in
batches (one crossing for up to 1024) and matched to their waiters by id; asyncio
waits on the producer's readiness file descriptor through the running loop, so no
thread is used per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import threading
import time
from ctypes import byref, c_int, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass, field
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


@dataclass
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


@dataclass
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


def _is_retriable(code: int, kafka_code: int) -> bool:
    if code in (_e.ERR_FATAL, _e.ERR_FENCED) or kafka_code in FATAL_ERROR_CODES:
        return False
    return code in (_e.ERR_RETRIABLE, _e.ERR_TIMEOUT) or kafka_code in RETRIABLE_ERROR_CODES


def _backoff(base: float, attempt: int) -> float:
    # base * 2^(attempt-1) +-10% jitter, the spec's formula.
    d = base * (2 ** (attempt - 1))
    return max(0.0, d * (1 + random.uniform(-0.1, 0.1)))


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

    # ---- plumbing --------------------------------------------------------------------

    def _handle(self, op: str) -> c_void_p:
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
        n = c_size_t()
        self._call(lib.klient_producer_pending, byref(n), op="pending")
        return n.value

    # ---- delivery reports ------------------------------------------------------------

    def _drain(self, timeout_ms: int = 0) -> int:
        """Pull up to 1024 delivery reports (one crossing) and hand them to waiters."""
        n = c_size_t()
        with self._lock:
            self._call(lib.klient_producer_poll_reports, self._reports, _REPORT_CAPACITY, timeout_ms, byref(n), op="poll_reports")
            got = [_report_tuple(self._reports[i]) for i in range(n.value)]
            calls = [(self._waiters.pop(r[0], None), r) for r in got]
            self._queued_since_drain = 0
        for cb, r in calls:
            if cb is not None:
                cb(r)
            elif r[4]:
                # Nobody waits for this report (produce(..., flush=False)): make the
                # failure visible in the log rather than dropping it silently.
                self._delivery_failures += 1
                _log.warning(json.dumps({"event": "delivery_failed", "id": r[0], "error": r[6], "error_code": r[4], "kafka_code": r[5]}))
        return len(got)

    def poll(self, timeout: float = 0.0) -> int:
        """Collect delivery reports of queued messages (waiting up to ``timeout`` seconds
        for the first one); returns how many were collected. Failures are logged."""
        ms = _native.timeout_ms(timeout)
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
        """How many queued (flush=False) messages failed delivery so far."""
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
        ``status="queued"`` at once. Call errors (closed producer, bad arguments, a
        timeout) raise :class:`KafkaProducerError` subclasses.
        """
        h = self._handle("produce")
        m = MessageIn(topic, key, value, partition, headers, timestamp)
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
        """
        h = self._handle("produce_batch")
        ins = [self._message_in(item, topic, i) for i, item in enumerate(messages)]
        if not ins:
            return []
        arr = (_native.Message * len(ins))()
        for i, mi in enumerate(ins):
            _native.fill_message(arr[i], mi)
        first, accepted = c_uint64(), c_size_t()
        results: dict[int, _Report] = {}
        done = threading.Event()
        want = len(ins)

        def collect(r: _Report) -> None:
            results[r[0]] = r
            if len(results) >= want:
                done.set()

        err = _native.new_err()
        with self._lock:
            rc = lib.klient_producer_produce_batch(h, arr, len(ins), byref(first), byref(accepted), byref(err))
            if flush:
                want = accepted.value
                for i in range(accepted.value):
                    self._waiters[first.value + i] = collect
        if rc != 0:
            if flush:
                with self._lock:
                    for i in range(accepted.value):
                        self._waiters.pop(first.value + i, None)
            _native.raise_error(rc, err, "producer", f"produce_batch (message {accepted.value} of {len(ins)})")
        topics = [mi.struct.topic.decode() for mi in ins]
        if not flush:
            self._note_queued(len(ins))
            return [ProduceResult("queued", t, ins[i].struct.partition if ins[i].struct.partition >= 0 else None) for i, t in enumerate(topics)]
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not done.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                self._drain(_SLICE_MS)
        finally:
            with self._lock:
                for i in range(len(ins)):
                    self._waiters.pop(first.value + i, None)
        out = []
        for i, t in enumerate(topics):
            r = results.get(first.value + i)
            out.append(_result_of(t, r) if r else ProduceResult("error", t, error="no delivery report before the timeout (the message may still be delivered)"))
        return out

    @staticmethod
    def _message_in(item: Any, topic: str | None, i: int) -> MessageIn:
        if isinstance(item, Mapping):
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
        (the loop watches the producer's readiness fd; no thread is used)."""
        h = self._handle("aproduce")
        m = MessageIn(topic, key, value, partition, headers, timestamp)
        loop = asyncio.get_running_loop()
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

    def flush(self, timeout: float | None = None) -> int:
        """Wait until every queued message is delivered (or ``timeout`` seconds pass);
        returns how many are still in flight. Interruptible with Ctrl-C."""
        h = self._handle("flush")
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
        if _native.in_forked_child() or os.getpid() != self._pid:
            # The library's threads are gone in a forked child: just drop the handle.
            self._closed = True
            return
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
        if rc != 0:
            _native.raise_error(rc, err, "producer", "close")
        elif err:  # pragma: no cover
            lib.klient_error_destroy(err)

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is not None and not getattr(self, "_closed", True) and not _native.in_forked_child() and os.getpid() == self._pid:
            with contextlib.suppress(Exception):
                lib.klient_producer_destroy(h)

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
        """The asyncio form of :meth:`produce_with_retry` (backoff with asyncio.sleep)."""
        self._retry_args(max_attempts, base_backoff)
        if self.breaker_state == "open":
            lib.klient_metrics_inc(b"producer.circuit.rejected", 1, None)
            raise KafkaProducerCircuitOpenError(f"aproduce_with_retry: circuit breaker is open for {topic!r}", code=_e.ERR_CIRCUIT_OPEN)
        last: ProduceResult | None = None
        for attempt in range(1, max_attempts + 1):
            try:
                res = await self.aproduce(topic, key, value, partition, headers, timestamp)
            except (KafkaProducerRetriableError,) as e:  # queue full until deadline etc.
                res = ProduceResult("error", topic, error=str(e))
                code, kc = e.code, e.kafka_code
            else:
                if res.status == "success":
                    return res
                code, kc = self._last_codes(res)
            last = res
            if not _is_retriable(code, kc):
                cls = _e.error_class("producer", code)
                raise cls(f"aproduce_with_retry: {res.error}", code=code, kafka_code=kc)
            if attempt < max_attempts:
                lib.klient_metrics_inc(b"producer.retry", 1, None)
                await asyncio.sleep(_backoff(base_backoff, attempt))
        _log.warning(json.dumps({"event": "produce_async_circuit_open", "topic": topic, "attempts": max_attempts, "error": last.error if last else None}))
        raise KafkaProducerRetriableError(
            f"aproduce_with_retry: gave up after {max_attempts} attempts: {last.error if last else ''}",
            code=_e.ERR_RETRIABLE, retriable=True,
        )

    @staticmethod
    def _last_codes(res: ProduceResult) -> tuple[int, int]:
        return res.error_code or _e.ERR_KAFKA, res.kafka_code

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
        return self._txn_step(lib.klient_producer_begin_transaction, "begin_transaction")

    def commit_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Flush and commit. Raises KafkaTransactionError (``txn_requires_abort`` set when
        you must abort), KafkaProducerFencedError, KafkaProducerFatalError on failure."""
        return self._txn_step(lib.klient_producer_commit_transaction, "commit_transaction", _native.timeout_ms(timeout))

    def abort_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Abort: nothing produced in the transaction becomes visible to read_committed."""
        return self._txn_step(lib.klient_producer_abort_transaction, "abort_transaction", _native.timeout_ms(timeout))

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
