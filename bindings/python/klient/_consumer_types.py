"""The consumer's values: MessageResult and TopicPartition (released names, exported by
klient.consumer), the decoder of klient_consumer_consume_packed's batches, and the
argument checks the sync and asyncio calls share. Private."""

from __future__ import annotations

import inspect
import logging
import struct
from dataclasses import dataclass
from typing import Any, Callable

from .errors import KafkaConsumerTypeError, KafkaConsumerValueError

# The released module's logger (klient.consumer.logger).
logger = logging.getLogger("klient.consumer")

_SLICE = 0.1  # seconds: the longest single wait inside the library

# confluent-kafka's timestamp types: the (type, ms) pair of MessageResult.timestamp.
TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2
_NO_TIMESTAMP = (TIMESTAMP_NOT_AVAILABLE, -1)
# confluent-kafka's logical offsets (OFFSET_BEGINNING, OFFSET_END).


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

# Defined here, released as klient.consumer's: pickles, reprs and help() name that module.
MessageResult.__module__ = TopicPartition.__module__ = "klient.consumer"

RebalanceCallback = Callable[..., Any]

# klient_consumer_consume_packed's per-message header (include/klient.h): topic index,
# timestamp type (0 from libraries that left it as padding: CreateTime, the only type they
# knew), partition, offset, timestamp_ms, key_len (-1 null), value_len (-1 null), header count.
_MSG_HEADER = struct.Struct("<HBxiqqiiI")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")


def _parse_packed(data: bytes | memoryview, count: int) -> list[MessageResult]:
    """The MessageResults of one packed batch: ``data`` is a copy of it (bytes), or a
    view of the library's memory, out of which each key and value is copied."""
    view = type(data) is not bytes
    (ntopics,) = struct.unpack_from("<I", data, 0)
    pos = 4
    topics = []
    for _ in range(ntopics):
        (n,) = _U16.unpack_from(data, pos)
        pos += 2
        topics.append(str(data[pos : pos + n], "utf-8"))
        pos += n
    unpack = _MSG_HEADER.unpack_from
    out: list[MessageResult] = []
    append = out.append
    # The dataclass's fields set directly, in its __init__'s order (the same __dict__):
    # a third faster than calling the class, which is most of this loop's time.
    new, cls = object.__new__, MessageResult
    for _ in range(count):
        ti, tt, part, off, ts, kl, vl, hc = unpack(data, pos)
        pos += 36
        if kl >= 0:
            key = data[pos : pos + kl]
            pos += kl
            if view:
                key = bytes(key)
        else:
            key = None
        if vl >= 0:
            value = data[pos : pos + vl]
            pos += vl
            if view:
                value = bytes(value)
        else:
            value = None
        headers = {}
        if hc:
            for _ in range(hc):
                (n,) = _U16.unpack_from(data, pos)
                pos += 2
                hk = str(data[pos : pos + n], "utf-8", "replace")
                pos += n
                (n,) = _I32.unpack_from(data, pos)
                pos += 4
                if n >= 0:
                    headers[hk] = bytes(data[pos : pos + n])
                    pos += n
                else:
                    headers[hk] = None
        m = new(cls)
        m.topic = topics[ti]
        m.partition = part
        m.offset = off
        m.key = key
        m.value = value
        m.timestamp = (tt or TIMESTAMP_CREATE_TIME, ts) if ts else _NO_TIMESTAMP
        m.headers = headers
        m.is_transactional = False
        m.transaction_id = None
        append(m)
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
