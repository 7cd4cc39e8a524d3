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
import dataclasses
import ctypes
import inspect
import json
import os
import threading
from ctypes import byref, c_void_p
from typing import Any, Callable, Mapping

from . import _native
from . import errors as _e
from ._native import MessageIn, lib
from .consumer import KafkaConsumer, MessageResult
from .errors import KafkaRelayError
from .producer import KafkaProducer

__all__ = ["ExactlyOnceRelay", "KafkaRelayError"]

Transform = Callable[[MessageResult], Any]


class ExactlyOnceRelay:
    """Relay ``src`` to ``dst`` exactly once (the producer needs a transactional_id).

    ``run(src, dst)`` blocks until :meth:`stop`, Ctrl-C (which stops the relay
    gracefully, then re-raises KeyboardInterrupt) or a failure; ``await arun(src, dst,
    max_in_flight=N)`` is the asyncio form (the transform may then be a coroutine
    function, run on the caller's loop)."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        transform: Transform | None = None,
        batch_size: int = 25,
        max_batch_time: float = 1.0,
        grace_period: float = 10.0,
    ) -> None:
        if not isinstance(consumer, KafkaConsumer):
            raise TypeError(f"consumer must be a KafkaConsumer, got {type(consumer).__name__}")
        if not isinstance(producer, KafkaProducer):
            raise TypeError(f"producer must be a KafkaProducer, got {type(producer).__name__}")
        if not producer.transactional_id:
            raise _e.KafkaTransactionError(
                "ExactlyOnceRelay needs a transactional producer: create it with ProducerConfig(transactional_id=...)",
                code=_e.ERR_TRANSACTION,
            )
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        for name, v in (("max_batch_time", max_batch_time), ("grace_period", grace_period)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {v!r}")
        self.consumer = consumer
        self.producer = producer
        self.transform = transform
        self.batch_size = batch_size
        self.max_batch_time = float(max_batch_time)
        self.grace_period = float(grace_period)
        self._h: c_void_p | None = None
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stats: dict[str, int] = {}
        self._twin: KafkaConsumer | None = None
        self._pid = os.getpid()
        # The C callback object must outlive every call the library may make into it.
        self._cfn = _native.TRANSFORM_FN(self._on_batch) if transform is not None else _native.TRANSFORM_FN()

    def __repr__(self) -> str:
        state = "running" if self._h is not None else "idle"
        return f"<ExactlyOnceRelay batch_size={self.batch_size} transactional_id={self.producer.transactional_id!r} {state}>"

    # ---- the per-batch callback (runs on a library thread) ---------------------------

    def _on_batch(self, _user: Any, views: Any, n: int, out: Any) -> int:
        try:
            for i in range(n):
                msg = MessageResult(*_native.view_fields(views[i]))
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
            mi = MessageIn(None, src.key, res, None, src.headers, src.timestamp, topic_required=False)
        elif isinstance(res, MessageResult):
            # The message's own topic is the source: outputs always go to the target.
            mi = MessageIn(None, res.key, res.value, None, res.headers, res.timestamp, topic_required=False)
        elif isinstance(res, Mapping):
            unknown = set(res) - {"topic", "key", "value", "partition", "headers", "timestamp"}
            if unknown:
                raise TypeError(f"transform output has unknown field(s) {sorted(unknown)}")
            mi = MessageIn(res.get("topic"), res.get("key", src.key), res.get("value"), res.get("partition"),
                           res.get("headers"), res.get("timestamp"), topic_required=False)
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
            "max_batch_ms": int(self.max_batch_time * 1000),
            "max_in_flight": max_in_flight,
            "grace_period_ms": int(self.grace_period * 1000),
        }).encode()
        h = c_void_p()
        cons = self._relay_consumer()
        ch = cons._handle("relay")
        ph = self.producer._handle("relay")
        try:
            _native.call(lib.klient_relay_new, ch, ph, opts, self._cfn, None, byref(h), family="relay", op="relay")
        except BaseException:
            self._release_twin()
            raise
        with self._lock:
            self._h, self._error = h, None
        return h

    def _relay_consumer(self) -> KafkaConsumer:
        """The consumer the core relay drives. The relay commits source offsets inside
        its transactions, so the core refuses an auto-committing consumer; the spec's
        example passes one (the default enable_auto_commit=True). Then the relay uses a
        private twin with the same settings and auto-commit off; the user's consumer must
        not be consuming the group at the same time."""
        c = self.consumer
        c._handle("relay")
        if not c.config.enable_auto_commit:
            return c
        if c.subscription:
            raise _e.KlientConfigError(
                "ExactlyOnceRelay: the consumer auto-commits (enable_auto_commit=True) and is already "
                "subscribed; create it with ConsumerConfig(enable_auto_commit=False), or do not subscribe it "
                "(the relay subscribes to the source itself)",
                code=_e.ERR_CONFIG,
            )
        cfg = dataclasses.replace(c.config, enable_auto_commit=False, topics=None)
        self._twin = KafkaConsumer(cfg)
        return self._twin

    def _release_twin(self) -> None:
        twin, self._twin = self._twin, None
        if twin is not None:
            twin.close()

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
        lib.klient_relay_destroy(h)
        self._release_twin()
        if err is not None:
            raise KafkaRelayError(f"relay stopped: the transform raised {type(err).__name__}: {err}", code=_e.ERR_CALLBACK) from err
        if failure is not None:
            raise failure

    @staticmethod
    def _topics(src: str, dst: str) -> tuple[bytes, bytes]:
        for name, t in (("src", src), ("dst", dst)):
            if not isinstance(t, str) or not t:
                raise TypeError(f"{name} must be a non-empty topic name, got {t!r}")
        return src.encode(), dst.encode()

    def run(self, src: str, dst: str, max_in_flight: int = 1) -> None:
        """Relay until stopped. Blocks; Ctrl-C stops the relay gracefully (the batches
        in flight commit or abort) and then raises KeyboardInterrupt."""
        s, d = self._topics(src, dst)
        h = self._new(max_in_flight)
        result: list[BaseException | None] = []
        # klient_relay_run blocks; running it on a worker thread keeps this thread in
        # Python (joins of 0.2 s) so Ctrl-C is seen and turned into klient_relay_stop.
        t = threading.Thread(target=self._run_native, args=(h, s, d, result.append), name="klient-relay", daemon=True)
        t.start()
        try:
            while t.is_alive():
                t.join(0.2)
        except BaseException:
            lib.klient_relay_stop(h, None)
            t.join()
            self._finish(h, None)
            raise
        self._finish(h, result[0] if result else None)

    async def arun(self, src: str, dst: str, max_in_flight: int = 1) -> None:
        """The asyncio form of :meth:`run`. ``max_in_flight`` batches may be consumed
        and transformed while earlier ones commit (they still commit in order).
        Cancelling the task stops the relay gracefully."""
        s, d = self._topics(src, dst)
        loop = asyncio.get_running_loop()
        self._loop = loop
        h = self._new(max_in_flight)
        fut: asyncio.Future[BaseException | None] = loop.create_future()

        def done(failure: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # loop closed
                loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(failure))

        t = threading.Thread(target=self._run_native, args=(h, s, d, done), name="klient-relay", daemon=True)
        t.start()
        try:
            failure = await asyncio.shield(fut)
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

    def stop(self) -> None:
        """Ask a running relay to stop after its in-flight batches (any thread)."""
        with self._lock:
            h = self._h
        if h is not None:
            lib.klient_relay_stop(h, None)

    def stats(self) -> dict[str, int]:
        """{"batches", "aborted", "forwarded", "consumed"} of the current or last run."""
        with self._lock:
            h = self._h
        if h is not None:
            out = c_void_p()
            if lib.klient_relay_stats(h, byref(out), None) == 0:
                return json.loads(_native.take_str(out) or "{}")
        return dict(self._stats)


async def _await(aw: Any) -> Any:
    return await aw
