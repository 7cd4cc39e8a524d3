"""produce_batch: many messages with one library call (packed or as structs),
with per-message callbacks when asked."""

from __future__ import annotations

import json
import threading
import time
from ctypes import byref, c_size_t, c_uint64, c_void_p
from itertools import repeat
from typing import Any, Callable, Iterable, Mapping

from . import _checks, _native, _native_types, _native_values
from ._native import lib
from ._native_values import MessageIn
from ._producer_base import (
    ProduceResult,
    _NONE_T,
    _PACKED,
    _PLAIN_TYPES,
    _Report,
    _SLICE_MS,
    _log,
    _offsets,
    _plain,
    _result_of,
    _seconds,
    _typed,
)


#: Item types that cannot carry a delivery callback (bare values, (key, value) tuples).
_NO_CALLBACK_TYPES = frozenset((bytes, str, bytearray, memoryview, tuple, _NONE_T))


class _Batches:
    """Mixin of KafkaProducer (see producer.py)."""

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
        if self._send_error is not None:
            self._raise_send_error()
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
        # The item types, taken once at C speed, spare the common batch of bare values a
        # per-item scan for callbacks (isinstance(x, Mapping) goes through the ABC
        # machinery: ~1 µs per message, more than the library call).
        types = set(map(type, items))
        if self.delivery_callback is not None or not types <= _NO_CALLBACK_TYPES and any(
                type(it) is not bytes and isinstance(it, Mapping) and it.get("callback") is not None for it in items):
            return self._batch_with_callbacks(items, flush, topic, timeout)
        h = self._handle("produce_batch")
        packed = self._pack_batch(items, topic, types) if _PACKED else None
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
            flags = _native_types.PRODUCE_TRACKED if flush else 0
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
        fill = _native_values.fill_message
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
    def _pack_batch(items: list[Any], topic: str | None, types: set[type]) -> tuple[bytes, Any, Any, Any, Any] | None:
        """(topic, keys, key offsets, values, value offsets) for a batch of bare values
        or (key, value) tuples to `topic` (`types`: the items' types), or None when it
        needs the per-message path (mappings, MessageResults, a mix of null and
        non-null keys or values)."""
        if type(topic) is not str or not topic:
            return None
        if types <= _PLAIN_TYPES:
            keys = None
            vals = items
        elif types <= {bytes, str, _NONE_T}:
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
        return _checks.cstr(topic, "topic"), kb, ko, vb, vo

    def _batch_with_callbacks(self, items: list[Any], flush: bool, topic: str | None, timeout: float | None) -> list[ProduceResult]:
        """Messages with delivery callbacks: queued one by one (each tracked), then
        flushed when ``flush``; the results are the delivered ones where known."""
        out: list[ProduceResult | None] = [None] * len(items)

        def slot(i: int, cb: Callable[[ProduceResult], Any] | None) -> Callable[[ProduceResult], None]:
            def on_delivery(res: ProduceResult) -> None:
                out[i] = res
                if not self._calls_back(res):
                    return
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
            queued.append(self._produce_checked(t, v, k, hd, p, slot(i, cb), False, ts, None, every_report=True))
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
