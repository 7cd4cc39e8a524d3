"""What every KafkaConsumer call builds on: the library handle (created on first use),
rebalance callbacks run on the caller's thread, the one-crossing batch take, and the
lifecycle (stop from any thread, close, __del__). Mixin of KafkaConsumer (consumer.py)."""

from __future__ import annotations

import contextlib
import time
from ctypes import POINTER, byref, c_int, c_ubyte, c_void_p, string_at
from typing import Any, Iterator

from . import _checks, _native, _native_types, _stats, _wait
from . import errors as _e
from ._consumer_types import MessageResult, _parse_packed, _partitions, logger
from ._native import lib
from .config import encode
from .errors import KafkaConsumerError, KafkaConsumerRebalanceError

_EVENT_PULL_INTERVAL = 0.05  # seconds between rebalance-event pulls while messages flow
_consume_packed = lib.klient_consumer_consume_packed
_consume_deferred = lib.klient_consumer_consume_deferred
_destroy_packed = lib.klient_packed_batch_destroy
# Batches whose messages average this many bytes or more are read in place (each value
# copied once) instead of copied whole first (10 KB consume: 50k -> 111k msgs/s,
# docs/BENCHMARKS.md); below it the whole-batch copy and bytes slicing are as fast.
_VIEW_FROM = 2048
# One crossing takes about this many bytes at most, by the size of the last batch's
# messages: a caller asking for 500 messages of 10 KB gets them in crossings of ~100, so
# the batch is not held whole in the fetched memory, the packed copy and the values at
# once (see docs/BENCHMARKS.md). Small messages reach the count first.
_CROSSING_BYTES = 1 << 20
# Streams take up to this many messages per crossing and hand them out one by one
# (deferred hand-out: see _take_deferred).
_STREAM_BATCH = 500
# About how many seconds of the application's work a stream's batch may hold: the
# messages it yielded are stored for (auto-)commit when it takes its next batch.
_STREAM_HOLD = 0.5


def _stream_size(cap: int, yielded: int, secs: float) -> int:
    """The size of a stream's next batch: what the application got through in
    _STREAM_HOLD seconds, at the pace of the last batch (``yielded`` in ``secs``),
    between 1 and cap. A slow loop takes few messages at a time, so what it was given is
    stored for auto-commit soon after, as with one message per take."""
    if yielded * _STREAM_HOLD >= secs * cap:
        return cap
    return max(1, int(yielded * _STREAM_HOLD / secs))


class _ConsumerBase:
    """Mixin of KafkaConsumer (see consumer.py)."""

    # ---- plumbing --------------------------------------------------------------------

    def _open(self, auto_commit: bool | None = None) -> None:
        """Create the library consumer (``auto_commit`` overrides enable.auto.commit)."""
        props = self.config.to_dict()
        if auto_commit is not None:
            props["enable.auto.commit"] = auto_commit
        h = c_void_p()
        flags = _native_types.CONSUMER_REBALANCE_EVENTS if self._want_events else 0
        _native.call(lib.klient_consumer_new, encode(_checks.config(props, "consumer")), flags, byref(h), family="consumer", op="create consumer")
        fd = c_int()
        try:
            _native.call(lib.klient_consumer_ready_fd, h, byref(fd), family="consumer")
            _stats.register(h, self.config)
        except BaseException:
            lib.klient_consumer_destroy(h)
            raise
        self._h, self._fd = h, fd.value
        self._auto_commits = str(props.get("enable.auto.commit", True)).lower() != "false"

    def _handle(self, op: str, keep_stream: bool = False) -> c_void_p:
        """The library handle for op; a stream batch in hand is settled first
        (``keep_stream``: only what was yielded is recorded, the stream goes on with its
        batch; else the batch ends, see _settle)."""
        if _native._forked:
            _native.check_fork("this KafkaConsumer", "consumer", self._pid)
        if self._closed:
            raise KafkaConsumerError(f"{op}: the consumer is closed", code=_e.ERR_CLOSED)
        if self._h is None:
            self._open()
        if self._deferred is not None:
            self._settle(keep_stream)
        return self._h  # type: ignore[return-value]

    def _settle(self, keep: bool = False) -> None:
        """Settle the stream batch in hand (token ``[yielded, settled]``): what the
        stream yielded counts as handed out (offsets stored for commit). Unless
        ``keep``, the batch ends and the rest goes back to the front of the library's
        buffer. Every library call goes through _handle, which settles first, so a
        commit, seek, poll or another stream sees exactly what was yielded; commit and
        the reads keep the batch, so calling them after each message costs no re-take."""
        tok = self._deferred
        if tok is None:
            return
        if not keep:
            self._deferred = None
        elif tok[0] == tok[1]:
            return
        if self._h is None or self._closed or _native.in_forked_child():
            return
        _native.call(lib.klient_consumer_settle, self._h, tok[0], _native_types.SETTLE_KEEP if keep else 0,
                     family="consumer", op="settle")
        tok[1] = tok[0]

    def _relay_handle(self) -> c_void_p:
        """The handle the exactly-once relay drives: the relay commits the source offsets
        inside its transactions, so the library consumer must not auto-commit. One
        created (or subscribed) with auto-commit is replaced by one without, with the
        same settings (the relay subscribes it to the source itself)."""
        if self._h is not None and self._auto_commits and not self._closed:
            self.close()
            self._closed = self._stopped = False
            self._subscription = []
        if self._h is None and not self._closed:
            self._open(auto_commit=False)
        return self._handle("relay")

    def _call(self, fn: Any, *args: Any, op: str) -> None:
        _native.call(fn, self._handle(op), *args, family="consumer", op=op)

    def _json(self, fn: Any, *args: Any, op: str) -> Any:
        # Reads (assignment, position, committed, rebalance events) leave a stream its batch.
        return _native.call_json(fn, self._handle(op, keep_stream=True), *args, family="consumer", op=op)

    # ---- rebalance callbacks ---------------------------------------------------------

    def _run_rebalance_callbacks(self, force: bool = False) -> None:
        if not self._want_events:
            return
        now = time.monotonic()
        if not self._pending_events and not force and now - self._last_event_pull < _EVENT_PULL_INTERVAL:
            return
        self._last_event_pull = now
        if not self._pending_events:
            self._pending_events = list(self._json(lib.klient_consumer_rebalance_events, op="rebalance_events") or [])
        while self._pending_events:
            ev = self._pending_events.pop(0)
            kind = ev.get("kind", "")
            cb, arity = self._callbacks.get(kind, (None, 0))
            if cb is None:
                continue
            parts = _partitions(ev.get("partitions"))
            try:
                if arity == 2:
                    cb(self, parts)
                else:
                    cb(parts)
            except Exception as exc:
                raise KafkaConsumerRebalanceError(
                    f"on_{kind} callback raised {type(exc).__name__}: {exc}", code=_e.ERR_REBALANCE
                ) from exc

    # ---- consume ---------------------------------------------------------------------

    def _take_deferred(self, max_messages: int, timeout_ms: int) -> tuple[list[MessageResult], list[int]]:
        """A stream's take: up to max_messages (what is buffered, waiting up to
        timeout_ms for the first) in one crossing, none of them handed out yet. The
        stream counts what it yields in the returned token (``tok[0] += 1`` before each
        yield; tok[1] is how many were settled) and stops yielding from the batch once
        the token is no longer ``self._deferred``: then the batch was ended (by a
        consume, seek, subscribe, close or the stream's end) and the rest went back to
        the library's buffer."""
        tok = [0, 0]
        return self._take(max_messages, timeout_ms, tok), tok

    def _stream_batches(self, limit: int | None, max_batch: int, timeout_ms: int) -> Iterator[tuple[list[MessageResult], list[int]]]:
        """The deferred batches of message_stream and amessage_stream, taken until
        stop() or ``limit`` messages, each waiting up to timeout_ms (it may be empty).
        The stream yields from a batch (_yield_taken) before asking for the next one,
        whose size follows the pace of that loop (_stream_size; the first is one
        message). Closing this generator settles the batch the stream still holds."""
        n = 0
        tok = None
        cap, size = max(max_batch, _STREAM_BATCH), 1
        try:
            while not self._stopped and (limit is None or n < limit):
                msgs, tok = self._take_deferred(size if limit is None else min(size, limit - n), timeout_ms)
                start = time.monotonic()
                yield msgs, tok
                if tok[0]:
                    n += tok[0]
                    size = _stream_size(cap, tok[0], time.monotonic() - start)
        finally:
            if tok is not None and self._deferred is tok:
                self._settle()

    def _yield_taken(self, msgs: list[MessageResult], tok: list[int]) -> Iterator[MessageResult]:
        """The messages of a _take_deferred batch, counted in tok as they are yielded,
        until something settled the batch meanwhile (the rest is back in the library's
        buffer). Shared by message_stream and amessage_stream."""
        for m in msgs:
            if self._deferred is not tok:
                return
            tok[0] += 1
            yield m

    def _take(self, max_messages: int, timeout_ms: int, defer: list[int] | None = None) -> list[MessageResult]:
        """Up to max_messages of what is buffered, waiting up to timeout_ms for the
        first. Each crossing's batch comes as one flat buffer, copied out and freed at
        once; large messages come in several crossings of about _CROSSING_BYTES, the
        ones after the first without waiting. ``defer``: see _take_deferred (a stream's
        batch is one crossing, settled as one)."""
        h = self._handle("consume")
        with self._lock:
            self._busy += 1
        try:
            if self._want_events:
                self._run_rebalance_callbacks()
            out, full = self._cross(h, max_messages, timeout_ms, defer)
            while full and defer is None and len(out) < max_messages:
                more, full = self._cross(h, max_messages - len(out), 0, None)
                out += more
            if out and defer is not None:
                self._deferred = defer
            if not full and self._want_events:
                # A short batch may mean a rebalance event is waiting: run callbacks now.
                self._run_rebalance_callbacks(force=True)
            return out
        finally:
            with self._lock:
                self._busy -= 1
                close_now = self._close_pending and not self._busy
            if close_now:
                self.close()

    def _cross(self, h: c_void_p, max_messages: int, timeout_ms: int, defer: list[int] | None) -> tuple[list[MessageResult], bool]:
        """One crossing of _take: its messages, and whether it took all it asked for
        (then more may be buffered)."""
        batch = POINTER(_native.PackedBatch)()
        err = _native.ErrorP()
        # A count is "up to": one crossing takes at most the ABI's 2**30 (a larger size_t
        # is refused, and ctypes would wrap 2**64 to 0) and about _CROSSING_BYTES.
        asked = min(max_messages, self._per_crossing)
        rc = (_consume_packed if defer is None else _consume_deferred)(h, asked, timeout_ms, byref(batch), byref(err))
        if rc != 0:
            _native.raise_error(rc, err, "consumer", "consume")
        if not batch:
            return [], False  # pragma: no cover - the library always sets it on success
        try:
            b = batch.contents
            count, size = b.count, b.size
            if not count:
                return [], False
            self._per_crossing = max(1, min(2**30, _CROSSING_BYTES * count // max(size, 1)))
            if size // count < _VIEW_FROM:
                out = _parse_packed(string_at(b.data, size), count)
            else:
                # Large messages: copy each value once out of the library's memory
                # rather than the whole batch first (and its pages faulted in).
                out = _parse_packed(memoryview((c_ubyte * size).from_address(b.data)), count)
        finally:
            _destroy_packed(batch)
        return out, count == asked

    # ---- lifecycle -------------------------------------------------------------------

    def stop(self) -> None:
        """End streams and handler loops and close the consumer (as the released
        package does: later polls raise KafkaConsumerError). Callable from any thread,
        a handler or a signal handler: a poll blocked in another thread returns at once
        and closes the consumer on its way out. Stopping twice is a no-op."""
        h = self._h
        if h is None or self._closed:
            return
        self._stopped = True
        # Mark the close pending before interrupting a poll in another thread: that poll
        # then closes on its way out, so when it returns the consumer is closed (marked
        # after, the poll could return first and find nothing to do, while this thread
        # had yet to close).
        with self._lock:
            busy = self._busy > 0
            if busy:
                self._close_pending = True
        if not _native.in_forked_child():
            # h may be closed meanwhile by that poll: the library refuses a stale handle.
            with contextlib.suppress(_e.KlientError):
                _native.call(lib.klient_consumer_stop, h, family="consumer", op="stop")
        if not busy:
            self.close()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def close(self) -> None:
        """Leave the group (committing stored offsets when auto-commit is on) and release
        the consumer. Closing twice is a no-op; later calls raise KafkaConsumerError."""
        if self._closed or self._closing:
            return
        # A stream suspended mid-batch: what it yielded is handed out (auto-commit on
        # close commits it), the rest is not.
        self._settle()
        self._closing = True
        try:
            if self._h is not None and self._callbacks["revoke"][0] is not None and not _native.in_forked_child():
                self._revoke_on_close()
        finally:
            self._closing = False
        self._closed = self._stopped = True
        self._close_pending = False
        h, self._h = self._h, None
        if h is None or _native.in_forked_child():
            return
        err = _native.new_err()
        rc = lib.klient_consumer_close(h, byref(err))
        lib.klient_consumer_destroy(h)
        if rc != 0:
            _native.raise_error(rc, err, "consumer", "close")

    def _revoke_on_close(self) -> None:
        """A member that leaves the group gives its partitions back: like the released
        package (librdkafka calls its on_revoke inside close), on_revoke runs here, while
        the consumer can still commit. An exception in it is logged, as there."""
        try:
            parts = self.assignment()
            if parts:
                cb, arity = self._callbacks["revoke"]
                if arity == 2:
                    cb(self, parts)
                else:
                    cb(parts)
        except Exception:
            logger.exception("on_revoke raised while the consumer was closing")

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is not None and not _native.in_forked_child() and not _wait.abandoned_calls_running():
            with contextlib.suppress(Exception):
                lib.klient_consumer_destroy(h)
