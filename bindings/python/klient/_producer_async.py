"""The asyncio calls: aproduce (queued, or awaited on the producer's readiness
fd without a thread per call), aproduce_batch, aflush, aproduce_with_retry; blocking
calls run on the producer's one worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from concurrent.futures import ThreadPoolExecutor
from ctypes import byref, c_size_t, c_uint64
from typing import Any, Callable, Iterable, Mapping

from . import _checks, _native, _native_types, _native_values
from . import errors as _e
from ._native import lib
from ._native_values import MessageIn
from .errors import KafkaProducerError, KafkaProducerRetriableError
from ._producer_base import (
    ProduceResult,
    _PACKED,
    _Report,
    _UNKNOWN_PARTITION,
    _log,
    _offsets,
    _produce_args,
    _result_of,
    _typed,
)


#: How long a loop of aproduce(flush=False) calls runs before yielding to the event loop.
_YIELD_EVERY = 0.001


class _Asyncio:
    """Mixin of KafkaProducer (see producer.py)."""

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking call on this producer's own worker thread (one, so the async
        calls of one producer keep their order, like the released package)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="klient-producer")
        return asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

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

        ``flush=False`` (default) queues the message (status "queued"); a loop of such
        calls yields to the event loop once per millisecond (``_YIELD_EVERY``), so it
        never starves the loop's other tasks and does not pay a loop cycle per message.
        ``flush=True`` awaits its delivery without blocking the event
        loop (the loop watches the producer's readiness fd; no thread is used):
        concurrent calls of one loop iteration are sent together, in one library call
        per topic run, and resolved from the batched delivery reports; ``callback``
        then gets the result too."""
        if not flush:
            res = self.produce(topic, value, key, headers, partition, callback, False, timestamp)
            # A loop cycle per message (sleep(0)) cost 4 µs, three times the produce
            # itself: yield once per _YIELD_EVERY instead.
            now = time.monotonic()
            if now >= self._ayield_at:
                self._ayield_at = now + _YIELD_EVERY
                await asyncio.sleep(0)
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
        if cb is not None and self._calls_back(res):
            cb(res)
        return res

    async def _aproduce_delivered(
        self, topic: Any, key: Any, value: Any, partition: Any, headers: Any, timestamp: Any
    ) -> ProduceResult:
        h = self._handle("aproduce")
        loop = asyncio.get_running_loop()
        if headers is None and timestamp is None and _PACKED:
            if type(value) is not bytes:
                value = _native_values.as_bytes(value, "value")
            if type(key) is not bytes:
                key = _native_values.as_bytes(key, "key")
            part = -1 if partition is None else partition if type(partition) is int and -1 <= partition <= _checks.INT32_MAX else None
            abuf = self._abuf
            # Anything unusual (a NUL in the topic, an out-of-range partition) takes the
            # checked path below, which raises.
            if part is not None and type(topic) is str and topic and "\0" not in topic and (not abuf or self._abuf_loop is loop):
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
                vb, vo.buffer_info()[0] if vo is not None else None, n, _native_types.PRODUCE_TRACKED,
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
