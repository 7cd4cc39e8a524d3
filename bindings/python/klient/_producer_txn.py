"""Transactions: begin/commit/abort (sync and asyncio), the released
TransactionContext / AsyncTransactionContext, offsets in a transaction."""

from __future__ import annotations

import functools
import json
from ctypes import byref, c_int, c_void_p
from typing import Any, TYPE_CHECKING

from . import _native, _native_values, _wait
from . import errors as _e
from ._native import lib
from .errors import KafkaProducerFencedError, KafkaTransactionError
from ._producer_base import (
    TransactionResult,
    _KAFKA_ERR_FATAL,
    _PACKED,
    _REPORT_CAPACITY,
    _log,
)

if TYPE_CHECKING:  # pragma: no cover
    from .consumer import KafkaConsumer
    from .producer import KafkaProducer


class _TransactionScope:
    """What both transaction context managers are: ``result`` (begin's
    TransactionResult once entered) and, for any other attribute, the producer's."""

    def __init__(self, producer: KafkaProducer) -> None:
        self.producer = producer
        self.result: TransactionResult | None = None

    def __getattr__(self, name: str) -> Any:
        if name == "producer":  # not set yet (e.g. copy): no recursion
            raise AttributeError(name)
        return getattr(self.producer, name)


class _Transactions:
    """Mixin of KafkaProducer (see producer.py)."""

    def _txn_handle(self, op: str) -> c_void_p:
        if not self._config.transactional_id:
            raise KafkaTransactionError(
                f"{op}: Producer not configured for transactions (no transactional_id); create it with "
                f"ProducerConfig(transactional_id=...) to use transactions",
                code=_e.ERR_TRANSACTION,
            )
        return self._handle(op)

    @property
    def supports_transactions(self) -> bool:
        """True when the config has a transactional_id."""
        return bool(self._config.transactional_id)

    def init_transactions(self, timeout: float = 30.0) -> None:
        """Register the transactional id (fencing older producers). Called lazily by
        the first begin_transaction."""
        h = self._txn_handle("init_transactions")
        _native.call(functools.partial(_wait.interruptible, lib.klient_producer_init_transactions), h, _native_values.timeout_ms(timeout), family="producer", op="init_transactions")

    def _txn_step(self, fn: Any, op: str, operation: str, *args: Any) -> TransactionResult:
        h = self._txn_handle(op)
        res = _native.TxnResult()
        err = _native.new_err()
        # In a helper thread: commit/abort wait for the broker (up to their timeout),
        # and Ctrl-C must get through (see _wait).
        rc = _wait.interruptible(fn, h, *args, byref(res), byref(err))
        if rc != 0:
            _native.raise_error(rc, err, "producer", op)
        return TransactionResult(self._config.transactional_id or "", True, operation, None, res.duration_ms)

    def begin_transaction(self) -> TransactionResult:
        """Begin a transaction (initialising transactions on first use). Raises
        KafkaTransactionError when one is already open."""
        if self.supports_transactions and self.in_transaction:
            raise KafkaTransactionError("begin_transaction: Transaction already in progress", code=_e.ERR_TRANSACTION)
        res = self._txn_step(lib.klient_producer_begin_transaction, "begin_transaction", "begin")
        with self._buf_lock:
            self._txn_open = True
            self._buffering = _PACKED
        return res

    def _end_txn(self) -> None:
        with self._buf_lock:
            self._txn_open = False
            self._buffering = False

    def _check_open_txn(self, op: str, what: str) -> None:
        if self.supports_transactions and not self.in_transaction:
            raise KafkaTransactionError(f"{op}: No active transaction to {what}", code=_e.ERR_TRANSACTION)

    def commit_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Send buffered messages, flush and commit; delivery callbacks of the
        transaction's messages run here. Raises KafkaTransactionError (also when no
        transaction is open; ``txn_requires_abort`` set when you must abort, e.g. when
        a buffered message could not be queued), KafkaProducerFencedError,
        KafkaProducerFatalError."""
        self._txn_handle("commit_transaction")
        self._check_open_txn("commit_transaction", "commit")
        if self._abuf:
            self._asend()
        try:
            self._send_buffer()
        except KafkaProducerFencedError:
            raise
        except _e.KlientError as e:
            if e.kafka_code == _KAFKA_ERR_FATAL:
                raise
            raise KafkaTransactionError(
                f"commit_transaction: buffered messages could not be queued ({e}); abort the transaction",
                code=_e.ERR_TRANSACTION, kafka_code=e.kafka_code, txn_requires_abort=True,
            ) from e
        res = self._txn_step(lib.klient_producer_commit_transaction, "commit_transaction", "commit", _native_values.timeout_ms(timeout))
        self._end_txn()
        while self._drain(0) == _REPORT_CAPACITY:
            pass
        return res

    def abort_transaction(self, timeout: float = 60.0) -> TransactionResult:
        """Abort: nothing produced in the transaction becomes visible to read_committed
        (messages still in the produce(flush=False) buffer are dropped). Raises
        KafkaTransactionError when no transaction is open."""
        self._txn_handle("abort_transaction")
        self._check_open_txn("abort_transaction", "abort")
        with self._buf_lock, self._send_lock:
            self._buf_keys, self._buf_vals = [], []
            self._pending.clear()
        self._send_error = None
        res = self._txn_step(lib.klient_producer_abort_transaction, "abort_transaction", "abort", _native_values.timeout_ms(timeout))
        self._end_txn()
        while self._drain(0) == _REPORT_CAPACITY:
            pass
        return res

    async def abegin_transaction(self) -> TransactionResult:
        """The asyncio form of :meth:`begin_transaction` (on the producer's worker thread)."""
        return await self._run(self.begin_transaction)

    async def acommit_transaction(self) -> TransactionResult:
        """The asyncio form of :meth:`commit_transaction` (on the producer's worker thread)."""
        return await self._run(self.commit_transaction)

    async def aabort_transaction(self) -> TransactionResult:
        """The asyncio form of :meth:`abort_transaction` (on the producer's worker thread)."""
        return await self._run(self.abort_transaction)

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open (False before the client exists and once closed)."""
        if self._closed or self._h is None:
            return False
        out = c_int()
        self._call(lib.klient_producer_in_transaction, byref(out), op="in_transaction")
        return bool(out.value)

    def _abort_quietly(self) -> None:
        try:
            if self.in_transaction:
                self.abort_transaction()
        except _e.KlientError as e:
            _log.warning(json.dumps({"event": "transaction_abort_failed", "transaction_id": self.transactional_id, "error": str(e)}))

    def _commit_or_abort(self) -> TransactionResult:
        try:
            return self.commit_transaction()
        except KafkaTransactionError as e:
            if e.txn_requires_abort:
                self._abort_quietly()
            raise

    class TransactionContext(_TransactionScope):
        """``with producer.transaction() as tx:`` begins (``tx.result`` is begin's
        TransactionResult), commits when the block ends, aborts and re-raises when it
        raises. Other attributes are the producer's (``tx.produce(...)``)."""

        def __enter__(self) -> KafkaProducer.TransactionContext:
            self.result = self.producer.begin_transaction()
            return self

        def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
            if exc_type is not None:
                self.producer._abort_quietly()
            else:
                self.producer._commit_or_abort()

    class AsyncTransactionContext(_TransactionScope):
        """``async with producer.atransaction() as tx:`` the asyncio form of
        :class:`TransactionContext` (begin, commit and abort run on the producer's
        worker thread, so the loop keeps running while they wait)."""

        async def __aenter__(self) -> KafkaProducer.AsyncTransactionContext:
            self.result = await self.producer.abegin_transaction()
            return self

        async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
            if exc_type is not None:
                await self.producer._run(self.producer._abort_quietly)
            else:
                await self.producer._run(self.producer._commit_or_abort)

    def transaction(self) -> KafkaProducer.TransactionContext:
        """A context manager around one transaction (see :class:`TransactionContext`)."""
        return self.TransactionContext(self)

    def atransaction(self) -> KafkaProducer.AsyncTransactionContext:
        """An async context manager around one transaction (see :class:`AsyncTransactionContext`)."""
        return self.AsyncTransactionContext(self)

    def send_offsets_to_transaction(self, consumer: KafkaConsumer, timeout: float = 30.0) -> None:
        """Add ``consumer``'s current positions (and group metadata) to the open
        transaction: they are committed if and only if the transaction commits."""
        from .consumer import KafkaConsumer

        if not isinstance(consumer, KafkaConsumer):
            raise TypeError(f"send_offsets_to_transaction needs a KafkaConsumer, got {type(consumer).__name__}")
        h = self._txn_handle("send_offsets_to_transaction")
        # Like commit(): a stream of the consumer suspended mid-batch keeps its batch.
        ch = consumer._handle("send_offsets_to_transaction", keep_stream=True)
        _native.call(functools.partial(_wait.interruptible, lib.klient_producer_send_offsets), h, ch, _native_values.timeout_ms(timeout), family="producer", op="send_offsets_to_transaction")
