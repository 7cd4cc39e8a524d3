"""KafkaConsumer: poll / batch / stream (sync and asyncio), seek, commit, rebalance
callbacks, the released package's handler loop (``start_consuming``) and transactional
helpers.

The API is the union of the released glean-klient 0.1.2 consumer and its README (see
docs/COMPATIBILITY.md, "Python: consumer and relay"): ``poll`` and ``poll_message``,
``consume_messages(count=1, timeout=1.0)`` and ``max_messages=``, ``message_handler``.

libklient fetches ahead into a bounded buffer; each consume call is one crossing that
returns a batch of messages in one library-owned buffer, copied out here and freed at
once. Offsets are marked for commit only when messages are handed to the caller.
Rebalance events are queued by the library and pulled here, so ``on_assign`` /
``on_revoke`` / ``on_lost`` run on the caller's thread, inside poll/consume calls.
Blocking waits are cut into slices of at most 0.2 s, so Ctrl-C interrupts them.
Like the released package, the library consumer is created on first use, so a bad
configuration is reported by the first call that needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import struct
import threading
import time
from ctypes import POINTER, byref, c_char_p, c_int, c_void_p, string_at
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterator

from . import _checks, _native, _native_types, _native_values, _wait
from . import errors as _e
from ._native import lib
from .config import ConsumerConfig, encode, role_config
# The released module imports these three into its namespace; programs import them from here.
from .config import extract_bootstrap, resolve_env_config, split_env_config  # noqa: F401
from .errors import (
    KafkaConsumerError,
    KafkaConsumerFatalError,
    KafkaConsumerRebalanceError,
    KafkaConsumerRetriableError,
    KafkaConsumerTypeError,
    KafkaConsumerValueError,
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

logger = logging.getLogger(__name__)

_SLICE = 0.1  # seconds: the longest single wait inside the library
_EVENT_PULL_INTERVAL = 0.05  # seconds between rebalance-event pulls while messages flow
_consume_packed = lib.klient_consumer_consume_packed
_destroy_packed = lib.klient_packed_batch_destroy

# confluent-kafka's timestamp types: the (type, ms) pair of MessageResult.timestamp.
TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
_NO_TIMESTAMP = (TIMESTAMP_NOT_AVAILABLE, -1)
# confluent-kafka's logical offsets (OFFSET_BEGINNING, OFFSET_END).
_OFFSET_BEGINNING = -2
_OFFSET_END = -1


@dataclass
class MessageResult:
    """A consumed message, field for field the released package's: ``timestamp`` is a
    ``(type, ms)`` pair like confluent-kafka's ``Message.timestamp()``, ``headers`` a
    dict (empty when the message has none)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: tuple[int, int]
    headers: dict[str, bytes | None] | None = None
    is_transactional: bool = False
    transaction_id: str | None = None

    @classmethod
    def from_confluent_message(cls, msg: Any) -> MessageResult:
        """A MessageResult from a confluent-kafka ``Message`` (or any object with its
        ``topic() partition() offset() key() value() timestamp() headers()`` methods).
        A ``__transaction_id`` header marks the message transactional, as in the
        released package."""
        headers = dict(msg.headers() or ())
        txid = headers.get(b"__transaction_id")  # type: ignore[call-overload]
        if txid:
            txid = txid.decode("utf-8") if isinstance(txid, bytes) else str(txid)
        return cls(msg.topic(), msg.partition(), msg.offset(), msg.key(), msg.value(), msg.timestamp(),
                   headers, bool(txid), txid or None)


@dataclass
class TopicPartition:
    """A partition and an offset (the next offset to read; negative: logical/unset).
    Mutable, like confluent-kafka's, which rebalance callbacks of the released package
    receive."""

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
        headers = {}
        if hc:
            for _ in range(hc):
                (n,) = _U16.unpack_from(data, pos)
                pos += 2
                hk = data[pos : pos + n].decode("utf-8", "replace")
                pos += n
                (n,) = _I32.unpack_from(data, pos)
                pos += 4
                if n >= 0:
                    headers[hk] = data[pos : pos + n]
                    pos += n
                else:
                    headers[hk] = None
        append(new(topics[ti], part, off, key, value, (TIMESTAMP_CREATE_TIME, ts) if ts else _NO_TIMESTAMP, headers))
    return out


def _partitions(raw: Any) -> list[TopicPartition]:
    return [TopicPartition(p["topic"], int(p["partition"]), int(p.get("offset", -1001))) for p in raw or []]


def _arity(cb: RebalanceCallback | None, name: str) -> int:
    """1: cb(partitions); 2: cb(consumer, partitions) (confluent-kafka's signature)."""
    if cb is None:
        return 0
    if not callable(cb):
        raise KafkaConsumerTypeError(f"{name} must be callable, got {type(cb).__name__}")
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

    ``KafkaConsumer(config, message_handler=None, on_assign=None, on_revoke=None,
    on_lost=None)``, the released order. ``config.topics`` (if given) is subscribed at
    once; otherwise call :meth:`subscribe` with a list (or :meth:`start_consuming`).
    ``on_assign``, ``on_revoke`` and ``on_lost`` are called as ``cb(consumer,
    partitions)`` (or ``cb(partitions)``) with a list of :class:`TopicPartition`; an
    exception in one is raised from the poll/consume call as
    :class:`KafkaConsumerRebalanceError` (the original as ``__cause__``).
    """

    def __init__(
        self,
        config: ConsumerConfig,
        message_handler: Callable[[MessageResult], Any] | None = None,
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
    ) -> None:
        if not isinstance(config, ConsumerConfig):
            raise KafkaConsumerTypeError(f"KafkaConsumer needs a ConsumerConfig, got {type(config).__name__}")
        if message_handler is not None and not callable(message_handler):
            raise KafkaConsumerTypeError(f"message_handler must be callable, got {type(message_handler).__name__}")
        self._callbacks = {
            "assign": (on_assign, _arity(on_assign, "on_assign")),
            "revoke": (on_revoke, _arity(on_revoke, "on_revoke")),
            "lost": (on_lost, _arity(on_lost, "on_lost")),
        }
        self._want_events = any(cb for cb, _ in self._callbacks.values())
        self.config = config
        self.message_handler = message_handler
        self._pid = os.getpid()
        self._h: c_void_p | None = None
        self._fd = -1
        self._auto_commits = True
        self._closed = False
        self._stopped = False
        self._subscription: list[str] = []
        self._pending_events: list[dict[str, Any]] = []
        self._last_event_pull = 0.0
        # stop() from another thread while a consume call runs: the call closes the
        # consumer when it returns (closing under it would pull the handle away).
        self._lock = threading.Lock()
        self._busy = 0
        self._close_pending = False
        self._closing = False
        topics = getattr(config, "topics", None)
        if topics:
            self.subscribe(topics)

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
        except BaseException:
            lib.klient_consumer_destroy(h)
            raise
        self._h, self._fd = h, fd.value
        self._auto_commits = str(props.get("enable.auto.commit", True)).lower() != "false"

    def _handle(self, op: str) -> c_void_p:
        if _native._forked:
            _native.check_fork("this KafkaConsumer", "consumer", self._pid)
        if self._closed:
            raise KafkaConsumerError(f"{op}: the consumer is closed", code=_e.ERR_CLOSED)
        if self._h is None:
            self._open()
        return self._h  # type: ignore[return-value]

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
        return _native.call_json(fn, self._handle(op), *args, family="consumer", op=op)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def subscription(self) -> list[str]:
        return list(self._subscription)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("stopped" if self._stopped else "open")
        return f"<KafkaConsumer group_id={self.config.group_id!r} topics={self._subscription!r} {state}>"

    def __enter__(self) -> KafkaConsumer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

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
        with self._lock:
            self._busy += 1
        try:
            if self._want_events:
                self._run_rebalance_callbacks()
            batch = POINTER(_native.PackedBatch)()
            err = _native.ErrorP()
            # A count is "up to": one crossing takes at most the ABI's 2**30 (a larger
            # size_t is refused, and ctypes would wrap 2**64 to 0); the caller loops.
            rc = _consume_packed(h, min(max_messages, 2**30), timeout_ms, byref(batch), byref(err))
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
        finally:
            with self._lock:
                self._busy -= 1
                close_now = self._close_pending and not self._busy
            if close_now:
                self.close()

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe to a list of topics (replacing the subscription). A bare str is a
        TypeError, as in the released package: pass ``["events"]``."""
        if isinstance(topics, (str, bytes)):
            raise KafkaConsumerTypeError(
                f"subscribe() takes a list of topic names, not a {type(topics).__name__}: use subscribe([{topics!r}])")
        if not isinstance(topics, (list, tuple)):
            raise KafkaConsumerTypeError(f"subscribe() takes a list of topic names, got {type(topics).__name__}")
        if not topics:
            raise KafkaConsumerValueError("subscribe() needs at least one topic")
        enc = []
        for t in topics:
            if not isinstance(t, str) or not t:
                raise KafkaConsumerTypeError(f"topic names must be non-empty str, got {t!r}")
            enc.append(_checks.cstr(t, "topic name", "consumer"))
        arr = (c_char_p * len(enc))(*enc)
        self._call(lib.klient_consumer_subscribe, arr, len(enc), op="subscribe")
        self._subscription = list(topics)

    def poll(self, timeout: float = 1.0) -> MessageResult | None:
        """The next message, or None when none arrives within ``timeout`` seconds (or
        the consumer was stopped). A negative timeout waits forever, like confluent-kafka."""
        deadline = time.monotonic() + _check_timeout(timeout)
        while True:
            left = deadline - time.monotonic()
            msgs = self._take(1, max(0, int(min(left, _SLICE) * 1000)))
            if msgs:
                return msgs[0]
            if self._stopped or time.monotonic() >= deadline:
                return None

    def poll_message(self, timeout: float = 1.0) -> MessageResult | None:
        """The released name of :meth:`poll`."""
        return self.poll(timeout)

    def consume_messages(self, count: int = 1, timeout: float = 1.0, *, max_messages: int | None = None) -> list[MessageResult]:
        """Up to ``count`` messages (the README's ``max_messages=`` is the same thing),
        waiting until that many arrived or ``timeout`` seconds passed. One library
        crossing per slice, whatever the batch size."""
        want = _count(count, max_messages)
        deadline = time.monotonic() + _check_timeout(timeout)
        out: list[MessageResult] = []
        while len(out) < want:
            left = deadline - time.monotonic()
            out.extend(self._take(want - len(out), max(0, int(min(left, _SLICE) * 1000))))
            if self._stopped or time.monotonic() >= deadline:
                break
        return out

    def message_stream(self, timeout: float = 1.0, limit: int | None = None, max_batch: int = 1) -> Iterator[MessageResult]:
        """Yield messages until :meth:`stop` (or ``limit`` messages; unlimited by default).

        ``timeout`` bounds each wait (at most 0.2 s per library call, so Ctrl-C stops
        the stream promptly). By default one message is taken per call, so breaking out
        of the loop never marks unseen messages for commit; ``max_batch=N`` takes up to N
        per crossing for throughput (those N count as handed out). A stopped consumer's
        stream is empty, as in the released package."""
        wait_ms = int(min(_check_timeout(timeout), _SLICE) * 1000)
        _check_limit(limit)
        _check_batch(max_batch)
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
        if self._closed:
            return
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

    async def apoll_message(self, timeout: float = 1.0) -> MessageResult | None:
        """The released name of :meth:`apoll`."""
        return await self.apoll(timeout)

    async def aconsume_messages(self, count: int = 1, timeout: float = 1.0, *, max_messages: int | None = None) -> list[MessageResult]:
        """The asyncio form of :meth:`consume_messages`."""
        want = _count(count, max_messages)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _check_timeout(timeout)
        out: list[MessageResult] = []
        while len(out) < want:
            got = self._take(want - len(out), 0)
            out.extend(got)
            left = deadline - loop.time()
            if self._stopped or left <= 0:
                break
            if not got:
                await self._wait_readable(loop, min(left, _SLICE))
        return out

    # ---- the released handler loop ---------------------------------------------------

    def start_consuming(self, topics: str | list[str], auto_process: bool = True) -> None:
        """Subscribe to ``topics`` (a name or a list) and pass every message to
        ``message_handler`` until :meth:`stop` (from the handler or another thread) or
        Ctrl-C; then the consumer is stopped. A handler exception is logged and the
        loop goes on, as in the released package."""
        if isinstance(topics, str):
            topics = [topics]
        self.subscribe(topics)
        try:
            for message in self.message_stream():
                if auto_process and self.message_handler:
                    try:
                        self.message_handler(message)
                    except Exception:
                        logger.exception("message_handler raised on %s[%d]@%d", message.topic, message.partition, message.offset)
        except KeyboardInterrupt:
            logger.info("interrupted: stopping the consumer")
        finally:
            self.stop()

    async def astart_consuming(self, topics: str | list[str], auto_process: bool = True) -> None:
        """The asyncio form of :meth:`start_consuming`; the handler may be a coroutine
        function. Cancelling the task stops the consumer and ends it normally, as in the
        released package."""
        if isinstance(topics, str):
            topics = [topics]
        self.subscribe(topics)
        try:
            async for message in self.amessage_stream():
                if auto_process and self.message_handler:
                    try:
                        res = self.message_handler(message)
                        if inspect.isawaitable(res):
                            await res
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        logger.exception("message_handler raised on %s[%d]@%d", message.topic, message.partition, message.offset)
        except asyncio.CancelledError:
            logger.info("cancelled: stopping the consumer")
        finally:
            self.stop()

    # ---- transactional helpers (the released package's) ------------------------------

    @property
    def reads_committed_only(self) -> bool:
        """True when the consumer reads only committed transactional messages."""
        return self.config.isolation_level == "read_committed"

    def filter_transactional_messages(self, messages: list[MessageResult]) -> list[MessageResult]:
        """``messages`` as they are: the broker already hides aborted and open
        transactions from a read_committed consumer."""
        return list(messages)

    def get_transactional_messages(self, messages: list[MessageResult]) -> list[MessageResult]:
        return [m for m in messages if m.is_transactional]

    def get_non_transactional_messages(self, messages: list[MessageResult]) -> list[MessageResult]:
        return [m for m in messages if not m.is_transactional]

    def group_messages_by_transaction(self, messages: list[MessageResult]) -> dict[str | None, list[MessageResult]]:
        """``{transaction_id: [messages]}`` in first-seen order (None: not transactional)."""
        groups: dict[str | None, list[MessageResult]] = {}
        for m in messages:
            groups.setdefault(m.transaction_id, []).append(m)
        return groups

    # ---- positions -------------------------------------------------------------------

    def seek_to_offset(self, topic: str, offset: int, partition: int | None = None) -> None:
        """Move to ``offset`` in ``partition`` (None: every partition of ``topic``).
        Works right after subscribe: partitions not assigned yet are seeked on assign.
        A negative offset or partition raises KafkaConsumerError, as in the released
        package."""
        if not isinstance(topic, str) or not topic:
            raise KafkaConsumerTypeError(f"topic must be a non-empty str, got {topic!r}")
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise KafkaConsumerTypeError(f"offset must be an int, got {type(offset).__name__}")
        if partition is not None and (isinstance(partition, bool) or not isinstance(partition, int)):
            raise KafkaConsumerTypeError(f"partition must be an int or None (all partitions), got {type(partition).__name__}")
        if partition is not None and partition < 0:
            raise KafkaConsumerValueError(f"Partition number must be non-negative, got {partition}")
        if offset < 0:
            raise KafkaConsumerValueError(f"Offset must be non-negative, got {offset}")
        tb = _checks.cstr(topic, "topic", "consumer")
        if partition is not None:
            _checks.partition(partition, "consumer")
        _checks.int64(offset, "offset", "consumer")
        self._call(lib.klient_consumer_seek, tb, -1 if partition is None else partition, offset, op="seek_to_offset")

    def commit(self, asynchronous: bool = False) -> None:
        """Commit the offsets of every message handed out so far (nothing to do before
        the consumer's first use)."""
        if self._h is None and not self._closed:
            return
        self._call(lib.klient_consumer_commit_async if asynchronous else lib.klient_consumer_commit, op="commit")

    def assign(self, partitions: list[TopicPartition]) -> None:
        """confluent-kafka's on_assign idiom (``p.offset = ...; consumer.assign(partitions)``),
        which released-package callbacks use on the consumer they get: each partition
        whose ``offset`` is set (>= 0, -2 beginning, -1 end) starts there. klient consumers
        are group members, so this positions partitions; it assigns nothing by itself."""
        if not self._subscription:
            raise KafkaConsumerError("assign(): klient consumers take partitions from the group: call subscribe() first",
                                     code=_e.ERR_INVALID_ARGUMENT)
        for tp in partitions:
            if tp.offset >= 0 or tp.offset in (_OFFSET_BEGINNING, _OFFSET_END):
                tb = _checks.cstr(tp.topic, "topic", "consumer")
                _checks.partition(tp.partition, "consumer")
                _checks.int64(tp.offset, "offset", "consumer")
                self._call(lib.klient_consumer_seek, tb, tp.partition, tp.offset, op="assign")

    def assignment(self) -> list[TopicPartition]:
        return _partitions(self._json(lib.klient_consumer_assignment, op="assignment"))

    def position(self) -> list[TopicPartition]:
        return _partitions(self._json(lib.klient_consumer_position, op="position"))

    def committed(self, timeout: float = 10.0) -> list[TopicPartition]:
        return _partitions(self._json(lib.klient_consumer_committed, _native_values.timeout_ms(timeout), op="committed"))

    # ---- lifecycle -------------------------------------------------------------------

    def stop(self) -> None:
        """End streams and handler loops and close the consumer (as the released
        package does: later polls raise KafkaConsumerError). Callable from any thread,
        a handler or a signal handler: a poll blocked in another thread returns at once
        and closes the consumer on its way out. Stopping twice is a no-op."""
        if self._h is None or self._closed:
            return
        self._stopped = True
        if not _native.in_forked_child():
            with contextlib.suppress(_e.KlientError):
                _native.call(lib.klient_consumer_stop, self._h, family="consumer", op="stop")
        with self._lock:
            if self._busy:
                self._close_pending = True
                return
        self.close()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def close(self) -> None:
        """Leave the group (committing stored offsets when auto-commit is on) and release
        the consumer. Closing twice is a no-op; later calls raise KafkaConsumerError."""
        if self._closed or self._closing:
            return
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

    @classmethod
    def from_env_config(
        cls,
        env: str | None = None,
        config_file: str | None = None,
        group_id: str | None = None,
        isolation_level: str = "read_uncommitted",
        message_handler: Callable[[MessageResult], Any] | None = None,
        *,
        topics: list[str] | None = None,
        on_assign: RebalanceCallback | None = None,
        on_revoke: RebalanceCallback | None = None,
        on_lost: RebalanceCallback | None = None,
        **overrides: Any,
    ) -> KafkaConsumer:
        """A consumer from the ``env`` environment of the config file (flat keys
        overlaid by its ``consumer`` section), with the released positional parameters.
        ``isolation_level`` defaults to read_uncommitted like the released factory (see
        docs/COMPATIBILITY.md PY-C1); an ``isolation.level`` in the file wins, as there.
        ``topics=`` (a list, the README's form) is subscribed; other keywords override
        ConsumerConfig fields."""
        if isinstance(topics, str):
            raise KafkaConsumerTypeError(f"topics must be a list of topic names, not a str: use topics=[{topics!r}]")
        props = role_config(env, config_file, "consumer")
        bootstrap = str(props.pop("bootstrap.servers", "") or "localhost:9092")
        file_group = props.pop("group.id", None)
        group = group_id if group_id is not None else file_group
        if not group:
            raise KafkaConsumerValueError(
                f"group_id must be provided or present in env configuration (environment {env!r}: "
                f"set consumer.group_id in the config file or pass group_id=...)")
        kw: dict[str, Any] = {"bootstrap_servers": bootstrap, "group_id": group, "isolation_level": isolation_level,
                              "additional_config": props}
        if topics is not None:
            kw["topics"] = topics
        kw.update(overrides)
        return cls(ConsumerConfig(**kw), message_handler, on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)


def _count(count: Any, max_messages: Any) -> int:
    """The batch size of consume_messages: ``count`` (released) or ``max_messages``
    (README); 0 gives an empty batch as in the released package."""
    n = count if max_messages is None else max_messages
    what = "count" if max_messages is None else "max_messages"
    if max_messages is not None and count not in (1, max_messages):
        raise KafkaConsumerValueError(f"consume_messages: count={count!r} and max_messages={max_messages!r} disagree: pass one")
    if isinstance(n, bool) or not isinstance(n, int):
        raise KafkaConsumerTypeError(f"{what} must be an int, got {type(n).__name__}")
    if n < 0:
        raise KafkaConsumerValueError(f"{what} must be >= 0, got {n}")
    return n


def _check_timeout(timeout: Any) -> float:
    """Seconds; negative or None waits forever, as confluent-kafka's poll and consume."""
    if timeout is None:
        return float("inf")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise KafkaConsumerTypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if timeout != timeout:  # NaN: every deadline comparison would be False
        raise KafkaConsumerValueError("timeout must be a number of seconds, got nan")
    return float("inf") if timeout < 0 else float(timeout)


def _check_batch(max_batch: Any) -> None:
    if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
        raise KafkaConsumerValueError(f"max_batch must be an int >= 1, got {max_batch!r}")


def _check_limit(limit: Any) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise KafkaConsumerValueError(f"limit must be an int >= 0 or None (unlimited), got {limit!r}")
