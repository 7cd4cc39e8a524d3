"""KafkaConsumer: poll / batch / stream (sync and asyncio), seek, commit, rebalance
callbacks.

libklient fetches ahead into a bounded buffer; each consume call is one crossing that
returns a batch of messages in one library-owned buffer, copied out here and freed at
once. Offsets are marked for commit only when messages are handed to the caller.
Rebalance events are queued by the library and pulled here, so ``on_assign`` /
``on_revoke`` / ``on_lost`` run on the caller's thread, inside poll/consume calls.
Blocking waits are cut into slices of at most 0.2 s, so Ctrl-C interrupts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import struct
import time
from ctypes import POINTER, byref, c_char_p, c_int, c_void_p, string_at
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

from . import _native
from . import errors as _e
from ._native import lib
from .config import ConsumerConfig, encode, role_config
from .errors import (
    KafkaConsumerError,
    KafkaConsumerFatalError,
    KafkaConsumerRebalanceError,
    KafkaConsumerRetriableError,
)

__all__ = [
    "KafkaConsumer",
    "ConsumerConfig",
    "MessageResult",
    "TopicPartition",
    "KafkaConsumerError",
    "KafkaConsumerRetriableError",
    "KafkaConsumerFatalError",
    "KafkaConsumerRebalanceError",
]

_SLICE = 0.2  # seconds: the longest single wait inside the library
_EVENT_PULL_INTERVAL = 0.05  # seconds between rebalance-event pulls while messages flow
_STREAM_BATCH = 500
_consume_packed = lib.klient_consumer_consume_packed
_destroy_packed = lib.klient_packed_batch_destroy


@dataclass(slots=True)
class MessageResult:
    """A consumed message. ``headers`` is a list of ``(key, value)`` pairs or None;
    ``timestamp`` is milliseconds since the epoch (None when the broker gave none)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
    headers: list[tuple[str, bytes | None]] | None = None
    timestamp: int | None = None


@dataclass(frozen=True)
class TopicPartition:
    """A partition and an offset (the next offset to read; negative: logical/unset)."""

    topic: str
    partition: int
    offset: int = -1001


RebalanceCallback = Callable[..., Any]

# klient_consumer_consume_packed's per-message header (include/klient.h): topic index,
# partition, offset, timestamp_ms, key_len (-1 null), value_len (-1 null), header count.
_MSG_HEADER = struct.Struct("<HxxiqqiiI")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")


def _parse_packed(data: bytes, count: int) -> list[MessageResult]:
    """The MessageResults of one packed batch (data copied out of the library)."""
    (ntopics,) = struct.unpack_from("<I", data, 0)
    pos = 4
    topics = []
    for _ in range(ntopics):
        (n,) = _U16.unpack_from(data, pos)
        pos += 2
        topics.append(data[pos : pos + n].decode("utf-8"))
        pos += n
    unpack = _MSG_HEADER.unpack_from
    out: list[MessageResult] = []
    append = out.append
    new = MessageResult
    for _ in range(count):
        ti, part, off, ts, kl, vl, hc = unpack(data, pos)
        pos += 36
        if kl >= 0:
            key = data[pos : pos + kl]
            pos += kl
        else:
            key = None
        if vl >= 0:
            value = data[pos : pos + vl]
            pos += vl
        else:
            value = None
        headers = None
        if hc:
            headers = []
            for _ in range(hc):
                (n,) = _U16.unpack_from(data, pos)
                pos += 2
                hk = data[pos : pos + n].decode("utf-8", "replace")
                pos += n
                (n,) = _I32.unpack_from(data, pos)
                pos += 4
                if n >= 0:
                    headers.append((hk, data[pos : pos + n]))
                    pos += n
                else:
                    headers.append((hk, None))
        append(new(topics[ti], part, off, key, value, headers, ts or None))
    return out


def _partitions(raw: Any) -> list[TopicPartition]:
    return [TopicPartition(p["topic"], int(p["partition"]), int(p.get("offset", -1001))) for p in raw or []]


def _arity(cb: RebalanceCallback | None, name: str) -> int:
    """1: cb(partitions); 2: cb(consumer, partitions) (confluent-kafka's signature)."""
    if cb is None:
        return 0
    if not callable(cb):
        raise TypeError(f"{name} must be callable, got {type(cb).__name__}")
    try:
        params = inspect.signature(cb).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without signature
        return 2
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) or len(positional) >= 2:
        return 2
    return 1


class KafkaConsumer:
    """A Kafka consumer (group member) backed by libklient.

    ``config.topics`` (if given) is subscribed at once; otherwise call
    :meth:`subscribe` with a list. ``on_assign``, ``on_revoke`` and ``on_lost`` are
    called as ``cb(consumer, partitions)`` (or ``cb(partitions)``) with a list of
    :class:`TopicPartition`; an exception in one is raised from the poll/consume call
    as :class:`KafkaConsumerRebalanceError` (the original as ``__cause__``).
    """

    def __init__(
        self,
        config: ConsumerConfig,
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None:
        if not isinstance(config, ConsumerConfig):
            raise TypeError(f"KafkaConsumer needs a ConsumerConfig, got {type(config).__name__}")
        self._callbacks = {
            "assign": (on_assign, _arity(on_assign, "on_assign")),
            "revoke": (on_revoke, _arity(on_revoke, "on_revoke")),
            "lost": (on_lost, _arity(on_lost, "on_lost")),
        }
        self._want_events = any(cb for cb, _ in self._callbacks.values())
        self._config = config
        self._pid = os.getpid()
        self._h: c_void_p | None = None
        self._closed = False
        self._stopped = False
        self._subscription: list[str] = []
        self._pending_events: list[dict[str, Any]] = []
        self._last_event_pull = 0.0
        h = c_void_p()
        flags = _native.CONSUMER_REBALANCE_EVENTS if self._want_events else 0
        _native.call(lib.klient_consumer_new, encode(config.to_dict()), flags, byref(h), family="consumer", op="create consumer")
        self._h = h
        fd = c_int()
        _native.call(lib.klient_consumer_ready_fd, h, byref(fd), family="consumer")
        self._fd = fd.value
        if config.topics:
            self.subscribe(config.topics)

    # ---- plumbing --------------------------------------------------------------------

    def _handle(self, op: str) -> c_void_p:
        if _native._forked:
            _native.check_fork("this KafkaConsumer", "consumer", self._pid)
        if self._closed or self._h is None:
            raise KafkaConsumerError(f"{op}: the consumer is closed", code=_e.ERR_CLOSED)
        return self._h

    def _call(self, fn: Any, *args: Any, op: str) -> None:
        _native.call(fn, self._handle(op), *args, family="consumer", op=op)

    def _json(self, fn: Any, *args: Any, op: str) -> Any:
        return _native.call_json(fn, self._handle(op), *args, family="consumer", op=op)

    @property
    def config(self) -> ConsumerConfig:
        return self._config

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def subscription(self) -> list[str]:
        return list(self._subscription)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("stopped" if self._stopped else "open")
        return f"<KafkaConsumer group_id={self._config.group_id!r} topics={self._subscription!r} {state}>"

    def __enter__(self) -> KafkaConsumer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[MessageResult]:
        return self.message_stream()

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

    def _take(self, max_messages: int, timeout_ms: int) -> list[MessageResult]:
        """One crossing: up to max_messages, waiting up to timeout_ms. The batch comes
        as one flat buffer, copied out with one memcpy and freed at once."""
        h = self._handle("consume")
        if self._want_events:
            self._run_rebalance_callbacks()
        batch = POINTER(_native.PackedBatch)()
        err = _native.ErrorP()
        rc = _consume_packed(h, max_messages, timeout_ms, byref(batch), byref(err))
        if rc != 0:
            _native.raise_error(rc, err, "consumer", "consume")
        if not batch:
            return []  # pragma: no cover - the library always sets it on success
        try:
            b = batch.contents
            count = b.count
            data = string_at(b.data, b.size) if count else b""
        finally:
            _destroy_packed(batch)
        out = _parse_packed(data, count) if count else []
        if len(out) < max_messages and self._want_events:
            # A short batch may mean a rebalance event is waiting: run callbacks now.
            self._run_rebalance_callbacks(force=True)
        return out

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe to a list of topics (replacing the subscription). A bare str is a
        TypeError: pass ``["events"]``."""
        if isinstance(topics, (str, bytes)):
            raise TypeError(f"subscribe() takes a list of topic names, not a {type(topics).__name__}: use subscribe([{topics!r}])")
        if not isinstance(topics, (list, tuple)):
            raise TypeError(f"subscribe() takes a list of topic names, got {type(topics).__name__}")
        if not topics:
            raise ValueError("subscribe() needs at least one topic")
        enc = []
        for t in topics:
            if not isinstance(t, str) or not t:
                raise TypeError(f"topic names must be non-empty str, got {t!r}")
            enc.append(t.encode())
        arr = (c_char_p * len(enc))(*enc)
        self._call(lib.klient_consumer_subscribe, arr, len(enc), op="subscribe")
        self._subscription = list(topics)

    def poll(self, timeout: float = 1.0) -> MessageResult | None:
        """The next message, or None when none arrives within ``timeout`` seconds (or
        the consumer was stopped)."""
        deadline = time.monotonic() + _check_timeout(timeout)
        while True:
            left = deadline - time.monotonic()
            msgs = self._take(1, max(0, int(min(left, _SLICE) * 1000)))
            if msgs:
                return msgs[0]
            if self._stopped or time.monotonic() >= deadline:
                return None

    def consume_messages(self, max_messages: int = 10, timeout: float = 5.0) -> list[MessageResult]:
        """Up to ``max_messages``, waiting until that many arrived or ``timeout`` seconds
        passed. One library crossing per slice, whatever the batch size."""
        if isinstance(max_messages, bool) or not isinstance(max_messages, int) or max_messages < 1:
            raise ValueError(f"max_messages must be an int >= 1, got {max_messages!r}")
        deadline = time.monotonic() + _check_timeout(timeout)
        out: list[MessageResult] = []
        while len(out) < max_messages:
            left = deadline - time.monotonic()
            out.extend(self._take(max_messages - len(out), max(0, int(min(left, _SLICE) * 1000))))
            if self._stopped or time.monotonic() >= deadline:
                break
        return out

    def message_stream(self, timeout: float = 1.0, limit: int | None = None, max_batch: int = 1) -> Iterator[MessageResult]:
        """Yield messages until :meth:`stop` (or ``limit`` messages; unlimited by default).

        ``timeout`` bounds each wait (at most 0.2 s per library call, so Ctrl-C stops
        the stream promptly). By default one message is taken per call, so breaking out
        of the loop never marks unseen messages for commit; ``max_batch=N`` takes up to N
        per crossing for throughput (those N count as handed out)."""
        wait_ms = int(min(_check_timeout(timeout), _SLICE) * 1000)
        _check_limit(limit)
        _check_batch(max_batch)
        self._handle("message_stream")
        n = 0
        while not self._stopped and (limit is None or n < limit):
            want = max_batch if limit is None else min(max_batch, limit - n)
            for m in self._take(want, wait_ms):
                n += 1
                yield m

    async def amessage_stream(self, timeout: float = 1.0, limit: int | None = None, max_batch: int = 1) -> AsyncIterator[MessageResult]:
        """The asyncio form of :meth:`message_stream`: waits on the consumer's readiness
        fd through the running loop (no thread)."""
        wait = min(_check_timeout(timeout), _SLICE)
        _check_limit(limit)
        _check_batch(max_batch)
        self._handle("amessage_stream")
        loop = asyncio.get_running_loop()
        n = 0
        while not self._stopped and (limit is None or n < limit):
            want = max_batch if limit is None else min(max_batch, limit - n)
            msgs = self._take(want, 0)
            if not msgs:
                await self._wait_readable(loop, wait)
                continue
            for m in msgs:
                n += 1
                yield m

    async def _wait_readable(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        fut: asyncio.Future[None] = loop.create_future()
        loop.add_reader(self._fd, lambda: fut.done() or fut.set_result(None))
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(fut, timeout)
        finally:
            if not self._closed:
                loop.remove_reader(self._fd)

    async def apoll(self, timeout: float = 1.0) -> MessageResult | None:
        """The asyncio form of :meth:`poll`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _check_timeout(timeout)
        while True:
            msgs = self._take(1, 0)
            if msgs:
                return msgs[0]
            left = deadline - loop.time()
            if self._stopped or left <= 0:
                return None
            await self._wait_readable(loop, min(left, _SLICE))

    # ---- positions -------------------------------------------------------------------

    def seek_to_offset(self, topic: str, offset: int, partition: int | None = None) -> None:
        """Move to ``offset`` in ``partition`` (None: every partition of ``topic``).
        Works right after subscribe: partitions not assigned yet are seeked on assign."""
        if not isinstance(topic, str) or not topic:
            raise TypeError(f"topic must be a non-empty str, got {topic!r}")
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise TypeError(f"offset must be an int, got {type(offset).__name__}")
        if partition is not None and (isinstance(partition, bool) or not isinstance(partition, int) or partition < 0):
            raise ValueError(f"partition must be an int >= 0 or None (all partitions), got {partition!r}")
        self._call(lib.klient_consumer_seek, topic.encode(), -1 if partition is None else partition, offset, op="seek_to_offset")

    def commit(self, asynchronous: bool = False) -> None:
        """Commit the offsets of every message handed out so far."""
        self._call(lib.klient_consumer_commit_async if asynchronous else lib.klient_consumer_commit, op="commit")

    def assignment(self) -> list[TopicPartition]:
        return _partitions(self._json(lib.klient_consumer_assignment, op="assignment"))

    def position(self) -> list[TopicPartition]:
        return _partitions(self._json(lib.klient_consumer_position, op="position"))

    def committed(self, timeout: float = 10.0) -> list[TopicPartition]:
        return _partitions(self._json(lib.klient_consumer_committed, _native.timeout_ms(timeout), op="committed"))

    # ---- lifecycle -------------------------------------------------------------------

    def stop(self) -> None:
        """Make blocked and later poll/consume/stream calls return at once. Callable
        from any thread (or a signal handler). Final: create a new consumer to resume."""
        self._stopped = True
        if not self._closed and self._h is not None and not _native.in_forked_child():
            with contextlib.suppress(_e.KlientError):
                self._call(lib.klient_consumer_stop, op="stop")

    @property
    def stopped(self) -> bool:
        return self._stopped

    def close(self) -> None:
        """Leave the group (committing stored offsets when auto-commit is on) and release
        the consumer. Closing twice is a no-op; later calls raise KafkaConsumerError."""
        if self._closed or self._h is None:
            return
        self._closed = self._stopped = True
        h, self._h = self._h, None
        if _native.in_forked_child():
            return
        err = _native.new_err()
        rc = lib.klient_consumer_close(h, byref(err))
        lib.klient_consumer_destroy(h)
        if rc != 0:
            _native.raise_error(rc, err, "consumer", "close")

    def __del__(self) -> None:
        h = getattr(self, "_h", None)
        if h is not None and not _native.in_forked_child():
            with contextlib.suppress(Exception):
                lib.klient_consumer_destroy(h)

    @classmethod
    def from_env_config(
        cls,
        env: str | None = None,
        topics: list[str] | None = None,
        config_file: str | None = None,
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
        **overrides: Any,
    ) -> KafkaConsumer:
        """A consumer from the ``env`` environment of the config file (flat keys
        overlaid by its ``consumer`` section); ``topics`` (a list) is subscribed.
        Keyword arguments override ConsumerConfig fields (e.g. ``group_id=``)."""
        if isinstance(topics, str):
            raise TypeError(f"topics must be a list of topic names, not a str: use topics=[{topics!r}]")
        props = role_config(env, config_file, "consumer")
        kw: dict[str, Any] = {
            "bootstrap_servers": str(props.pop("bootstrap.servers", "localhost:9092")),
            "group_id": props.pop("group.id", None),
            "topics": topics,
        }
        for key, name in (("isolation.level", "isolation_level"), ("auto.offset.reset", "auto_offset_reset"), ("client.id", "client_id")):
            if key in props:
                kw[name] = str(props.pop(key))
        if "enable.auto.commit" in props:
            v = props.pop("enable.auto.commit")
            kw["enable_auto_commit"] = v if isinstance(v, bool) else str(v).lower() == "true"
        kw["additional_config"] = props
        kw.update(overrides)
        if not kw.get("group_id"):
            raise _e.KlientConfigError(
                f"from_env_config: no group.id in environment {env!r} (set consumer.group_id in the "
                f"config file or pass group_id=...)",
                code=_e.ERR_CONFIG,
            )
        return cls(ConsumerConfig(**kw), on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)


def _check_timeout(timeout: Any) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
    return float(timeout)


def _check_batch(max_batch: Any) -> None:
    if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
        raise ValueError(f"max_batch must be an int >= 1, got {max_batch!r}")


def _check_limit(limit: Any) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be an int >= 0 or None (unlimited), got {limit!r}")
