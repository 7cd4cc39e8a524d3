"""KafkaProducer: produce (sync, queued, batch, asyncio), transactions, retry.

Everything goes through libklient; this module only converts arguments, owns the
handle and routes delivery reports. The class is assembled from mixins by concern:
_producer_buffer (the produce(flush=False) buffer), _producer_batch (produce_batch),
_producer_async (asyncio), _producer_txn (transactions), _producer_retry
(produce_with_retry, the circuit breaker), _producer_reports (delivery reports, poll,
callbacks); _producer_base holds what
they share (result types, constants, helpers). Reports of queued/async messages are pulled in
batches (one crossing for up to 1024) and matched to their waiters by id; asyncio
waits on the producer's readiness file descriptor through the running loop, so no
thread is used per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from ctypes import byref, c_int, c_size_t, c_uint64, c_void_p
from typing import Any, Callable, Iterable, Mapping

from . import _checks, _native, _native_values, _stats, _wait
from . import errors as _e
from ._native import lib
from ._native_values import MessageIn
from .config import DEFAULT_BOOTSTRAP, encode, role_config
from ._producer_base import (
    _BUF_MAX,
    _PACKED,
    _REPORT_CAPACITY,
    _Report,
    _UNKNOWN_PARTITION,
    _live_producers,
    _log,
    _only_error_reports,
    _report_tuple,
    _result_of,
    _seconds,
    _typed,
)
from ._producer_async import _Asyncio
from ._producer_batch import _Batches
from ._producer_buffer import _Buffering
from ._producer_reports import _Reports
from ._producer_retry import _Retry
from ._producer_txn import _Transactions
# Also importable from klient.producer, as in the released module.
from ._producer_base import (  # noqa: F401
    FATAL_ERROR_CODES,
    FENCING_ERROR_CODES,
    RETRIABLE_ERROR_CODES,
    KafkaProducerConfigError,
    KafkaProducerEncodeError,
    ProduceResult,
    TransactionResult,
    logger,
)
from .config import ProducerConfig, extract_bootstrap, resolve_env_config, split_env_config  # noqa: F401
from .errors import (  # noqa: F401
    KafkaProducerCircuitOpenError,
    KafkaProducerError,
    KafkaProducerFatalError,
    KafkaProducerFencedError,
    KafkaProducerRetriableError,
    KafkaTransactionError,
)

__all__ = [
    "KafkaProducer",
    "ProducerConfig",
    "ProduceResult",
    "TransactionResult",
    "RETRIABLE_ERROR_CODES",
    "FATAL_ERROR_CODES",
    "FENCING_ERROR_CODES",
    *_e._PRODUCER_ERRORS,
]


class KafkaProducer(_Transactions, _Asyncio, _Batches, _Buffering, _Retry, _Reports):
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
        # delivery.report.only.error set: callbacks hear of failures only (see _calls_back).
        self._only_error_reports = False
        self._abuf: list[tuple[str, int, bytes | None, bytes | None, asyncio.Future[_Report]]] = []
        self._abuf_loop: asyncio.AbstractEventLoop | None = None
        self._ayield_at = 0.0  # when a loop of aproduce(flush=False) next yields (_producer_async)
        self._executor: ThreadPoolExecutor | None = None
        self._known_parts: set[tuple[str, int]] = set()
        _live_producers.add(self)

    def _open(self) -> c_void_p:
        """Create the client (first use, or first use after close())."""
        with self._lock:
            if self._h is not None:
                return self._h
            h = c_void_p()
            props = self._config.to_dict()
            self._only_error_reports = _only_error_reports(props)
            try:
                _native.call(lib.klient_producer_new, encode(_checks.config(props, "producer")), byref(h), family="producer", op="create producer")
            except _e.KlientConfigError as e:
                raise KafkaProducerConfigError(str(e), code=e.code, kafka_code=e.kafka_code) from e
            fd = c_int()
            try:
                _native.call(lib.klient_producer_ready_fd, h, byref(fd), family="producer")
                _stats.register(h, self._config)
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
        if self._send_error is not None:
            self._raise_send_error()
        try:
            if not flush and self._buffering and headers is None and callback is None and timestamp is None and self.delivery_callback is None:
                # Fast path: validate, append to the buffer, return.
                if value is not None and type(value) is not bytes:
                    value = _native_values.as_bytes(value, "value")
                if key is not None and type(key) is not bytes:
                    key = _native_values.as_bytes(key, "key")
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
            if flush is True and headers is None and callback is None and timestamp is None and self.delivery_callback is None:
                r = self._produce_and_wait(topic, value, key, partition, timeout)
                if r is not None:
                    return r
            return self._produce_checked(topic, value, key, headers, partition, callback, flush, timestamp, timeout)
        except (TypeError, ValueError) as e:
            raise _typed(e) from None

    def _produce_and_wait(self, topic: Any, value: Any, key: Any, partition: Any, timeout: Any) -> ProduceResult | None:
        """The common synchronous produce (bytes or None, no headers, timestamp or
        callback) with as little Python as there can be around the call: it adds to the
        caller's latency, and runs several times slower than in a loop because its
        thread slept through the wait. None: arguments for the general path (which
        checks them and raises what the released package raised)."""
        if (type(topic) is not str or not topic or (value is not None and type(value) is not bytes)
                or (key is not None and type(key) is not bytes)
                or (partition is not None and (type(partition) is not int or not 0 <= partition <= _checks.INT32_MAX))):
            return None
        tb = _checks.cstr(topic, "topic")  # before the handle, as in the general path
        h = self._handle("produce")
        if self._unsent():
            return None  # the general path sends the buffer first, in order
        # The struct is built in one constructor call; its c_char_p fields keep the bytes.
        m = _native.Message(tb, -1 if partition is None else partition,
                            key, 0 if key is None else len(key), value, 0 if value is None else len(value))
        return self._send_and_wait(h, byref(m), timeout, topic, None, False)

    def _produce_checked(
        self, topic: Any, value: Any, key: Any, headers: Any, partition: Any, callback: Any, flush: Any, timestamp: Any, timeout: Any,
        every_report: bool = False,
    ) -> ProduceResult:
        # every_report: callback is klient's own, which hears of successes too (see _reporter).
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
                    self._waiters[mid.value] = self._reporter(topic, callback, every_report)
            if partition is not None and partition >= 0:
                self._known_parts.add((topic, partition))
            self._note_queued(1)
            return ProduceResult(topic, partition)
        return self._send_and_wait(h, byref(m.struct), timeout, topic, callback, every_report)

    def _send_and_wait(self, h: c_void_p, msg: Any, timeout: Any, topic: str, callback: Any, every_report: bool) -> ProduceResult:
        """A synchronous produce of the message ``msg`` points to: queues it, waits for
        its report (in slices: Ctrl-C is raised between them, the message stays
        queued), raises call errors, runs the callback and returns the result."""
        ms = _native_values.timeout_ms(_seconds(timeout))
        deadline = time.monotonic() + ms / 1000
        w, done, rep, err = c_void_p(), c_int(), _native.DeliveryReport(), _native.ErrorP()
        if _native.HAS_START_WAIT:
            # Queued and waited for in one call: a report within the first slice (the
            # common case) costs one crossing and leaves no wait handle.
            first = _wait.SLICE_MS if ms < 0 else min(ms, _wait.SLICE_MS)
            rc = lib.klient_producer_produce_start_wait(h, msg, first, byref(done), byref(rep), byref(w), byref(err))
            if rc == 0 and done.value and not rep.error_code and not rep.kafka_code and callback is None and self.delivery_callback is None:
                # Delivered, nobody to tell: the result straight from the report (what
                # _result_of makes of it below), with less of the Python that runs
                # slowly here, on a thread that has just slept through the wait.
                off = rep.offset
                return ProduceResult(topic, rep.partition, off if off >= 0 else None, True, None, rep.timestamp_ms or None)
        else:  # pragma: no cover - a library older than this package
            rc = lib.klient_producer_produce_start(h, msg, byref(w), byref(err))
        if not done.value:
            if rc != 0:
                _native.raise_error(rc, err, "producer", "produce")

            def step(left: int) -> int | None:
                rc = lib.klient_delivery_wait(w, left, byref(done), byref(rep), byref(err))
                return rc if done.value or rc != 0 else None

            try:
                rc = _wait.in_slices(step, ms if ms < 0 else max(0, int((deadline - time.monotonic()) * 1000)))
            finally:
                lib.klient_delivery_wait_destroy(w)
        if rc is None:
            raise _e.error_class("producer", _e.ERR_TIMEOUT)(
                "produce: no delivery report before the deadline (the message may still be delivered)", code=_e.ERR_TIMEOUT)
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
            self._reporter(topic, callback, every_report)(r)
            self._raise_callback_error("Produce error")
        return res

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
        self._send_buffer(clear=True)

        def step(left: int) -> int | None:
            err = _native.new_err()
            rc = lib.klient_producer_flush(h, left, byref(err))
            if rc == 0:
                return 0
            if rc != _e.ERR_TIMEOUT:
                _native.raise_error(rc, err, "producer", "flush")
            if err:
                lib.klient_error_destroy(err)
            return None

        _wait.in_slices(step, -1 if timeout is None else timeout * 1000)
        while self._drain(0) == _REPORT_CAPACITY:
            pass
        self._raise_callback_error("Flush error")
        return self.pending

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
        rc = lib.klient_producer_close(h, _native_values.timeout_ms(timeout), byref(err))
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
        self._raise_send_error(clear=True)

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is not None and not getattr(self, "_closed", True) and not _native.in_forked_child() and not _wait.abandoned_calls_running():
            with contextlib.suppress(Exception):
                self._send_buffer(raise_errors=False)
            with contextlib.suppress(Exception):
                lib.klient_producer_destroy(h)
        w = getattr(self, "_wake", None)
        if w is not None:
            w.set()

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
