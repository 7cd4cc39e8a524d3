"""The produce(flush=False) buffer: messages gathered in Python and handed to
the library in packed calls by a sender thread (or by flush/poll/close/commit)."""

from __future__ import annotations

import threading
import weakref
from ctypes import byref, c_size_t, c_void_p
from typing import Any

from . import _checks, _native
from . import errors as _e
from ._native import lib
from ._native_values import MessageIn
from .config import ProducerConfig
from ._producer_base import (
    _KAFKA_ERR_FATAL,
    _LINGER_CAP_MS,
    _STOP_CODES,
    _linger_loop,
    _offsets,
)


class _Buffering:
    """Mixin of KafkaProducer (see producer.py)."""

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

    def _start_buffer(self, topic: str, part: int) -> None:
        # Caller holds _buf_lock. The topic's name is encoded here, in the caller's
        # thread, so a name that is not valid UTF-8 (or has a NUL) fails this produce
        # instead of the sender thread.
        _checks.cstr(topic, "topic")
        if self._buf_vals:
            self._seal_locked()
        self._buf_topic, self._buf_part = topic, part
        if self._wake is None:
            self._arm_linger()
        else:
            self._wake.set()

    def _send_buffer(self, raise_errors: bool = True, clear: bool = False) -> None:
        """Hand every buffered message to the library, in order. A failure to do so in
        the sender thread is kept (its messages are counted in delivery_failures at
        once) and raised, see _raise_send_error. Also waits for a send the sender
        thread has in progress: what follows (a commit, a sync produce) must come after."""
        if self._buf_vals or self._pending:
            with self._buf_lock:
                self._seal_locked()
        if self._pending or self._send_lock.locked():
            self._flush_pending(raise_errors)
        if raise_errors:
            self._raise_send_error(clear)

    def _raise_send_error(self, clear: bool = False) -> None:
        """Raise the failure of an earlier buffered send: every later call raises it
        until flush() or close() (``clear``) has reported it, so a program that never
        calls flush still sees that messages were lost."""
        e = self._send_error
        if e is None:
            return
        if clear:
            self._send_error = None
        # A new exception each time: one object raised again would pile up tracebacks.
        raise type(e)(f"an earlier buffered send failed: {e}", code=e.code, kafka_code=e.kafka_code,
                      retriable=e.retriable, fatal=e.fatal, txn_requires_abort=e.txn_requires_abort)

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
