"""ExactlyOnceRelay: consume -> transform -> produce in transactions, over the core relay.

Each batch of source messages is transformed and produced in one transaction that also
carries the source offsets, so outputs become visible to read_committed consumers if
and only if the source offsets commit. The Python ``transform`` is called from ONE
library callback per batch (the callback loops over the batch in Python), not one
crossing per message.

``transform(msg)`` receives a :class:`klient.consumer.MessageResult` and returns what to
produce to the target topic: the message itself (identity) or another MessageResult, a
``bytes``/``str`` value (the key is kept), a dict with ``key``/``value``/``headers``
(and optionally ``topic``/``partition``), a list of those (fan-out), or None (drop).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import threading
import time
from ctypes import byref, c_void_p
from typing import Any, Callable, Mapping

from . import _checks, _native
from . import errors as _e
from ._native import MessageIn, lib
from .consumer import _NO_TIMESTAMP, TIMESTAMP_CREATE_TIME, TIMESTAMP_NOT_AVAILABLE, KafkaConsumer, MessageResult
from .errors import KafkaRelayError
from .producer import KafkaProducer

__all__ = ["ExactlyOnceRelay", "KafkaRelayError"]

# The released module's logger (klient.relay.logger); klient's relay_* events
# (relay_batch_committed, relay_stopped, ...) are logged on it, see _events.
logger = logging.getLogger("klient.relay")

Transform = Callable[[MessageResult], Any]

# Seconds stop_on_empty waits for the group to assign partitions before the idle clock
# runs anyway (a join takes ~3 s with the broker's default group.initial.rebalance.delay).
_JOIN_ALLOWANCE = 10.0


class ExactlyOnceRelay:
    """Relay a source topic to a target topic exactly once (the producer needs a
    transactional_id).

    ``ExactlyOnceRelay(source_consumer, target_producer, transform=None, batch_size=50,
    poll_timeout=1.0)``, the released signature: a batch is sealed when it holds
    ``batch_size`` messages or ``poll_timeout`` seconds passed (``max_batch_time=``
    overrides the latter). ``run(source_topic, target_topic, stop_on_empty=False)``
    blocks until :meth:`stop`, Ctrl-C (which stops the relay gracefully, then re-raises
    KeyboardInterrupt), a failure, or with ``stop_on_empty=True`` until no message came
    for ``poll_timeout`` seconds; ``await arun(...)`` is the asyncio form (the
    transform may then be a coroutine function, run on the caller's loop)."""

    def __init__(
        self,
        source_consumer: KafkaConsumer,
        target_producer: KafkaProducer,
        transform: Transform | None = None,
        batch_size: int = 50,
        poll_timeout: float = 1.0,
        *,
        max_batch_time: float | None = None,
        grace_period: float = 10.0,
    ) -> None:
        if not isinstance(source_consumer, KafkaConsumer):
            raise TypeError(f"source_consumer must be a KafkaConsumer, got {type(source_consumer).__name__}")
        if not isinstance(target_producer, KafkaProducer):
            raise TypeError(f"target_producer must be a KafkaProducer, got {type(target_producer).__name__}")
        if not target_producer.transactional_id:
            # A ValueError, as the released package raises.
            raise _e.KafkaProducerConfigError(
                "target_producer must be transactional for exactly-once relay: create it with "
                "ProducerConfig(transactional_id=...)",
                code=_e.ERR_CONFIG,
            )
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        if max_batch_time is None:
            max_batch_time = poll_timeout
        for name, v in (("poll_timeout", poll_timeout), ("max_batch_time", max_batch_time), ("grace_period", grace_period)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {v!r}")
        self.source_consumer = source_consumer
        self.target_producer = target_producer
        self.transform = transform
        self.batch_size = batch_size
        self.poll_timeout = float(poll_timeout)
        self.max_batch_time = float(max_batch_time)
        self.grace_period = float(grace_period)
        self._h: c_void_p | None = None
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stats: dict[str, int] = {}
        self._close_after = False
        self._pid = os.getpid()
        # The C callback object must outlive every call the library may make into it.
        self._cfn = _native.TRANSFORM_FN(self._on_batch) if transform is not None else _native.TRANSFORM_FN()

    def __repr__(self) -> str:
        state = "running" if self._h is not None else "idle"
        return f"<ExactlyOnceRelay batch_size={self.batch_size} transactional_id={self.target_producer.transactional_id!r} {state}>"

    # ---- the per-batch callback (runs on a library thread) ---------------------------

    def _on_batch(self, _user: Any, views: Any, n: int, out: Any) -> int:
        try:
            for i in range(n):
                topic, part, off, key, value, headers, ts = _native.view_fields(views[i])
                tt = views[i].timestamp_type or TIMESTAMP_CREATE_TIME
                msg = MessageResult(topic, part, off, key, value, (tt, ts) if ts else _NO_TIMESTAMP,
                                    dict(headers or ()))
                res = self.transform(msg)  # type: ignore[misc]
                if inspect.isawaitable(res):
                    if self._loop is None:
                        if inspect.iscoroutine(res):
                            res.close()  # never awaited: close it quietly
                        raise TypeError("an async transform needs arun(), not run()")
                    res = asyncio.run_coroutine_threadsafe(_await(res), self._loop).result()
                self._emit(out, msg, res)
            return 0
        except BaseException as exc:  # never let an exception unwind into C
            with self._lock:
                if self._error is None:
                    self._error = exc
                h = self._h
            if h is not None:
                lib.klient_relay_stop(h, None)
            return 1

    def _emit(self, out: Any, src: MessageResult, res: Any) -> None:
        if res is None:
            return
        if isinstance(res, list):
            for r in res:
                self._emit(out, src, r)
            return
        if isinstance(res, (bytes, str, bytearray, memoryview)):
            mi = MessageIn(None, src.key, res, None, src.headers, _ms(src.timestamp), topic_required=False)
        elif isinstance(res, MessageResult):
            # The message's own topic and partition are the source's: outputs always go
            # to the target, partitioned by key.
            mi = MessageIn(None, res.key, res.value, None, res.headers, _ms(res.timestamp), topic_required=False)
        elif isinstance(res, Mapping):
            unknown = set(res) - {"topic", "key", "value", "partition", "headers", "timestamp"}
            if unknown:
                raise TypeError(f"transform output has unknown field(s) {sorted(unknown)}")
            mi = MessageIn(res.get("topic"), res.get("key", src.key), res.get("value"), res.get("partition"),
                           res.get("headers"), _ms(res.get("timestamp")), topic_required=False)
        else:
            raise TypeError(
                f"transform must return a MessageResult, bytes, str, dict, list or None, got {type(res).__name__}"
            )
        rc = lib.klient_relay_emit(out, byref(mi.struct))
        if rc != 0:
            raise KafkaRelayError(f"relay_emit failed ({_e.CODE_NAMES.get(rc, rc)})", code=rc)

    # ---- running ---------------------------------------------------------------------

    def _new(self, max_in_flight: int) -> c_void_p:
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise ValueError(f"max_in_flight must be an int >= 1, got {max_in_flight!r}")
        _native.check_fork("this ExactlyOnceRelay", "relay", self._pid)
        with self._lock:
            if self._h is not None:
                raise KafkaRelayError("this relay is already running", code=_e.ERR_INVALID_ARGUMENT)
        opts = json.dumps({
            "batch_size": self.batch_size,
            "max_batch_ms": max(1, int(self.max_batch_time * 1000)),
            "max_in_flight": max_in_flight,
            "grace_period_ms": max(1, int(self.grace_period * 1000)),
        }).encode()
        h = c_void_p()
        # The released relay subscribes and drives the consumer itself; the library
        # relay needs it without auto-commit (offsets commit inside the transactions).
        ch = self.source_consumer._relay_handle()
        ph = self.target_producer._handle("relay")
        _native.call(lib.klient_relay_new, ch, ph, opts, self._cfn, None, byref(h), family="relay", op="relay")
        with self._lock:
            self._h, self._error, self._close_after = h, None, False
        return h

    def _run_native(self, h: c_void_p, src: bytes, dst: bytes, done: Callable[[BaseException | None], None]) -> None:
        failure: BaseException | None = None
        try:
            _native.call(lib.klient_relay_run, h, src, dst, family="relay", op="relay")
        except BaseException as exc:
            failure = exc
        done(failure)

    def _finish(self, h: c_void_p, failure: BaseException | None) -> None:
        stats = c_void_p()
        if lib.klient_relay_stats(h, byref(stats), None) == 0:
            self._stats = json.loads(_native.take_str(stats) or "{}")
        with self._lock:
            self._h = None
            err = self._error
            close_after = self._close_after
        lib.klient_relay_destroy(h)
        if close_after:
            self._close_clients()
        if err is not None:
            raise KafkaRelayError(f"relay stopped: the transform raised {type(err).__name__}: {err}", code=_e.ERR_CALLBACK) from err
        if failure is not None:
            raise failure

    @staticmethod
    def _topics(src: str, dst: str) -> tuple[bytes, bytes]:
        for name, t in (("source_topic", src), ("target_topic", dst)):
            if not isinstance(t, str) or not t:
                raise TypeError(f"{name} must be a non-empty topic name, got {t!r}")
        return _checks.cstr(src, "source_topic", "relay"), _checks.cstr(dst, "target_topic", "relay")

    def _idle_watch(self, stop_on_empty: bool) -> Callable[[], None]:
        """A check run every 0.2 s while the relay runs: with ``stop_on_empty``, it stops
        the relay once no source message came for ``poll_timeout`` seconds (the
        released relay stops at its first empty ``poll_timeout`` poll). The clock starts
        when the group assigned partitions, so the group join does not count, but at
        most _JOIN_ALLOWANCE seconds are waited for an assignment."""
        if not stop_on_empty:
            return lambda: None
        state = {"since": time.monotonic(), "consumed": 0, "assigned": False}

        def check() -> None:
            now = time.monotonic()
            consumed = self.stats().get("consumed", 0)
            if consumed != state["consumed"]:
                state["consumed"], state["since"], state["assigned"] = consumed, now, True
            if not state["assigned"]:
                with contextlib.suppress(_e.KlientError):
                    if self.source_consumer.assignment():
                        state["assigned"], state["since"] = True, now
            limit = self.poll_timeout if state["assigned"] else self.poll_timeout + _JOIN_ALLOWANCE
            if now - state["since"] >= limit:
                self._halt()

        return check

    def run(self, source_topic: str, target_topic: str, stop_on_empty: bool = False, max_in_flight: int = 1) -> None:
        """Relay until stopped (or, with ``stop_on_empty``, until the source is idle for
        ``poll_timeout`` seconds). Blocks; Ctrl-C stops the relay gracefully (the
        batches in flight commit or abort) and then raises KeyboardInterrupt."""
        s, d = self._topics(source_topic, target_topic)
        h = self._new(max_in_flight)
        check = self._idle_watch(stop_on_empty)
        result: list[BaseException | None] = []
        # klient_relay_run blocks; running it on a worker thread keeps this thread in
        # Python (joins of 0.2 s) so Ctrl-C is seen and turned into klient_relay_stop.
        t = threading.Thread(target=self._run_native, args=(h, s, d, result.append), name="klient-relay", daemon=True)
        t.start()
        try:
            while t.is_alive():
                t.join(0.2)
                check()
        except BaseException:
            lib.klient_relay_stop(h, None)
            t.join()
            self._finish(h, None)
            raise
        self._finish(h, result[0] if result else None)

    async def arun(self, source_topic: str, target_topic: str, stop_on_empty: bool = False, max_in_flight: int = 1) -> None:
        """The asyncio form of :meth:`run`. ``max_in_flight`` batches may be consumed
        and transformed while earlier ones commit (they still commit in order).
        Cancelling the task stops the relay gracefully."""
        s, d = self._topics(source_topic, target_topic)
        loop = asyncio.get_running_loop()
        self._loop = loop
        h = self._new(max_in_flight)
        check = self._idle_watch(stop_on_empty)
        fut: asyncio.Future[BaseException | None] = loop.create_future()

        def done(failure: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # loop closed
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(failure))

        t = threading.Thread(target=self._run_native, args=(h, s, d, done), name="klient-relay", daemon=True)
        t.start()
        try:
            while not fut.done():
                await asyncio.wait({fut}, timeout=0.2)
                check()
            failure = fut.result()
        except BaseException:
            lib.klient_relay_stop(h, None)
            # Keep serving async transforms while the relay drains.
            while t.is_alive():
                await asyncio.sleep(0.05)
            self._loop = None
            self._finish(h, None)
            raise
        self._loop = None
        self._finish(h, failure)

    def _halt(self) -> None:
        with self._lock:
            h = self._h
        if h is not None:
            lib.klient_relay_stop(h, None)

    def _close_clients(self) -> None:
        self.source_consumer.stop()
        self.target_producer.close()

    def stop(self) -> None:
        """Stop the relay (a running one after its in-flight batches; any thread) and
        close its consumer and producer, as the released package does."""
        with self._lock:
            running = self._h is not None
            self._close_after = running
        if running:
            self._halt()
        else:
            self._close_clients()

    def stats(self) -> dict[str, int]:
        """{"batches", "aborted", "forwarded", "consumed"} of the current or last run."""
        with self._lock:
            h = self._h
        if h is not None:
            out = c_void_p()
            if lib.klient_relay_stats(h, byref(out), None) == 0:
                return json.loads(_native.take_str(out) or "{}")
        return dict(self._stats)


def _ms(ts: Any) -> Any:
    """A MessageResult timestamp ``(type, ms)`` as the ms to produce with (None: now)."""
    if isinstance(ts, tuple):
        return ts[1] if len(ts) == 2 and ts[0] != TIMESTAMP_NOT_AVAILABLE and isinstance(ts[1], int) and ts[1] > 0 else None
    return ts


async def _await(aw: Any) -> Any:
    return await aw
