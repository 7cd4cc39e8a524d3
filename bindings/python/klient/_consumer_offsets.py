"""Positions and offsets: seek_to_offset, commit, assign (confluent-kafka's on_assign
idiom), assignment, position, committed. Mixin of KafkaConsumer (consumer.py)."""

from __future__ import annotations

from . import _checks, _native, _native_values
from . import errors as _e
from ._consumer_types import TopicPartition, _partitions
from ._native import lib
from .errors import KafkaConsumerError, KafkaConsumerTypeError, KafkaConsumerValueError

_OFFSET_BEGINNING = -2
_OFFSET_END = -1



class _ConsumerOffsets:
    """Mixin of KafkaConsumer (see consumer.py)."""

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
        # A stream suspended mid-batch keeps its batch (committing after each message
        # must not make the stream take its batch again): only what it yielded is settled.
        h = self._handle("commit", keep_stream=True)
        _native.call(lib.klient_consumer_commit_async if asynchronous else lib.klient_consumer_commit, h,
                     family="consumer", op="commit")

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
