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

The class is assembled from mixins by concern: _consumer_base (the handle, rebalance
callbacks, the batch take, stop/close), _consumer_offsets (seek, commit, positions),
_consumer_async (asyncio); _consumer_types holds the message types, the packed-batch
decoder and the argument checks they share.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from ctypes import c_char_p, c_void_p
from typing import Any, Callable, Iterator

from . import _checks
from ._consumer_async import _ConsumerAsync
from ._consumer_base import _ConsumerBase
from ._consumer_offsets import _ConsumerOffsets
from ._consumer_types import _SLICE, _arity, _check_batch, _check_limit, _check_timeout, _count
from ._native import lib
from .config import ConsumerConfig, role_config
# Also importable from klient.consumer, as in the released module (logger is "klient.consumer");
# relay.py takes _NO_TIMESTAMP from here.
from ._consumer_types import (  # noqa: F401
    _NO_TIMESTAMP,
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_NOT_AVAILABLE,
    MessageResult,
    RebalanceCallback,
    TopicPartition,
    logger,
)
# The released module imports these three into its namespace; programs import them from here.
from .config import extract_bootstrap, resolve_env_config, split_env_config  # noqa: F401
from .errors import _CONSUMER_ERRORS
from .errors import (  # noqa: F401 - the released module's exception names too
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
    *_CONSUMER_ERRORS,
]


class KafkaConsumer(_ConsumerBase, _ConsumerOffsets, _ConsumerAsync):
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
        # The most messages one crossing takes (_take): 2**30, the ABI's limit, until a
        # batch tells the size of this consumer's messages.
        self._per_crossing = 2**30
        # The token of the stream batch taken but not settled (_take_deferred).
        self._deferred: list[int] | None = None
        topics = getattr(config, "topics", None)
        if topics:
            self.subscribe(topics)

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

    # ---- subscribe and consume -------------------------------------------------------

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
        the stream promptly). Messages are taken in batches (up to 500, or ``max_batch``
        if larger; fewer while the loop is slow) but count as handed out only once
        yielded: breaking out of the loop, or calling poll/commit/seek/close while the
        stream is suspended, never marks an unseen message for commit, and the next
        poll/consume/stream returns the unseen ones in order. A stopped consumer's stream
        is empty, as in the released package."""
        wait_ms = int(min(_check_timeout(timeout), _SLICE) * 1000)
        _check_limit(limit)
        _check_batch(max_batch)
        with contextlib.closing(self._stream_batches(limit, max_batch, wait_ms)) as batches:
            for msgs, tok in batches:
                yield from self._yield_taken(msgs, tok)

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
