"""The exception hierarchy of klient.

Every error that crosses the C ABI carries the core's classification (``code`` is the
``KLIENT_ERR_*`` kind, ``kafka_code`` librdkafka's error code) and the librdkafka flags
``retriable``, ``fatal`` and ``txn_requires_abort``. The class names are the ones of the
library klient replaces; they are importable from ``klient``, ``klient.errors`` and the
module that raises them (``klient.producer``, ``klient.consumer``, ...).
"""

from __future__ import annotations

from typing import Any

# The exception names each module exports. klient.producer's and klient.consumer's
# __all__ end with their family's, klient's __all__ with _PUBLIC_ERRORS: one list each,
# in the released order.
_PRODUCER_ERRORS = [
    "KafkaProducerError",
    "KafkaProducerRetriableError",
    "KafkaProducerFatalError",
    "KafkaTransactionError",
    "KafkaProducerFencedError",
    "KafkaProducerCircuitOpenError",
]
_CONSUMER_ERRORS = [
    "KafkaConsumerError",
    "KafkaConsumerRetriableError",
    "KafkaConsumerFatalError",
    "KafkaConsumerRebalanceError",
]
_PUBLIC_ERRORS = [
    "KlientError",
    "KlientConfigError",
    "KlientForkError",
    *_PRODUCER_ERRORS,
    *_CONSUMER_ERRORS,
    "KafkaAdminError",
    "KafkaRelayError",
]

__all__ = [
    *_PUBLIC_ERRORS,
    "KafkaProducerTypeError",
    "KafkaProducerValueError",
    "KafkaProducerConfigError",
    "KafkaConsumerTypeError",
    "KafkaConsumerValueError",
    "KafkaConsumerConfigError",
    "KafkaAdminTypeError",
    "KafkaAdminValueError",
    "KafkaAdminConfigError",
]

# KLIENT_ERR_* values (include/klient.h); the core's error kinds.
OK = 0
ERR_UNKNOWN = -1
ERR_INVALID_ARGUMENT = 1
ERR_CLOSED = 2
ERR_TIMEOUT = 3
ERR_CONFIG = 4
ERR_KAFKA = 5
ERR_RETRIABLE = 6
ERR_FATAL = 7
ERR_FENCED = 8
ERR_TRANSACTION = 9
ERR_REBALANCE = 10
ERR_CIRCUIT_OPEN = 11
ERR_NOT_FOUND = 12
ERR_INTERNAL = 13
ERR_CALLBACK = 14

CODE_NAMES = {
    ERR_UNKNOWN: "unknown",
    ERR_INVALID_ARGUMENT: "invalid argument",
    ERR_CLOSED: "closed",
    ERR_TIMEOUT: "timeout",
    ERR_CONFIG: "config",
    ERR_KAFKA: "kafka",
    ERR_RETRIABLE: "retriable",
    ERR_FATAL: "fatal",
    ERR_FENCED: "fenced",
    ERR_TRANSACTION: "transaction",
    ERR_REBALANCE: "rebalance",
    ERR_CIRCUIT_OPEN: "circuit open",
    ERR_NOT_FOUND: "not found",
    ERR_INTERNAL: "internal",
    ERR_CALLBACK: "callback",
}


class KlientError(Exception):
    """Base class of every klient error.

    Attributes:
        code: the ``KLIENT_ERR_*`` kind (``klient.errors.ERR_*``), 0 for errors raised
            by the Python layer itself without a better kind.
        kafka_code: librdkafka's error code, 0 when Kafka did not produce the error.
        retriable, fatal, txn_requires_abort: librdkafka's flags.
    """

    def __init__(
        self,
        *args: Any,
        code: int = 0,
        kafka_code: int = 0,
        retriable: bool = False,
        fatal: bool = False,
        txn_requires_abort: bool = False,
    ) -> None:
        # Like the released classes (plain Exception subclasses), any positional arguments
        # are accepted: KafkaProducerError("a", "b").args == ("a", "b").
        super().__init__(*args)
        self.message = str(args[0]) if len(args) == 1 else (str(args) if args else "")
        self.code = code
        self.kafka_code = kafka_code
        self.retriable = retriable
        self.fatal = fatal
        self.txn_requires_abort = txn_requires_abort

    @property
    def kind(self) -> str:
        """The name of the error kind ("timeout", "fenced", ...)."""
        return CODE_NAMES.get(self.code, "unknown")

    def __repr__(self) -> str:
        extra = f", kafka_code={self.kafka_code}" if self.kafka_code else ""
        return f"{type(self).__name__}({self.message!r}, kind={self.kind!r}{extra})"


class KlientConfigError(KlientError, ValueError):
    """Bad configuration: a malformed config file, an unknown or invalid property."""


class KlientForkError(KlientError, RuntimeError):
    """A klient object (or the library) was used in a child process after os.fork().

    The Go runtime inside libklient does not survive fork(): create new clients in the
    child instead (or use the "spawn"/"forkserver" multiprocessing start methods).
    """


# ---- producer -------------------------------------------------------------------------


class KafkaProducerError(KlientError):
    """Base class of producer errors."""


class KafkaProducerRetriableError(KafkaProducerError):
    """A temporary failure; produce_with_retry retries these."""


class KafkaProducerFatalError(KafkaProducerError):
    """The producer instance is unusable: close it and create a new one."""


class KafkaTransactionError(KafkaProducerError):
    """A transaction lifecycle failure (or misuse: no transactional_id, no open txn)."""


class KafkaProducerFencedError(KafkaTransactionError):
    """Another producer instance took over this transactional_id."""


class KafkaProducerCircuitOpenError(KafkaProducerError):
    """produce_with_retry was rejected because the circuit breaker is open."""


# ---- consumer -------------------------------------------------------------------------


class KafkaConsumerError(KlientError):
    """Base class of consumer errors."""


class KafkaConsumerRetriableError(KafkaConsumerError):
    """A temporary failure; polling again may succeed."""


class KafkaConsumerFatalError(KafkaConsumerError):
    """The consumer instance is unusable: stop consuming and close it."""


class KafkaConsumerRebalanceError(KafkaConsumerError):
    """A rebalance callback (on_assign / on_revoke / on_lost) raised; see __cause__."""


# ---- admin, relay ---------------------------------------------------------------------


class KafkaAdminError(KlientError):
    """An admin operation failed."""


class KafkaRelayError(KlientError):
    """The exactly-once relay failed (the transform raising is reported as __cause__)."""


# ---- wrong argument types and values ----------------------------------------------------
# A released-API program catches KafkaProducerError / KafkaConsumerError / KafkaAdminError;
# a Python program catches TypeError / ValueError. These serve both kinds of `except`.


class KafkaProducerTypeError(KafkaProducerError, TypeError):
    """A producer call got an argument of the wrong type."""


class KafkaProducerValueError(KafkaProducerError, ValueError):
    """A producer call got an argument of the right type and a wrong value."""


class KafkaConsumerTypeError(KafkaConsumerError, TypeError):
    """A consumer call got an argument of the wrong type."""


class KafkaConsumerValueError(KafkaConsumerError, ValueError):
    """A consumer call got an argument of the right type and a wrong value."""


class KafkaAdminTypeError(KafkaAdminError, TypeError):
    """An admin call got an argument of the wrong type."""


class KafkaAdminValueError(KafkaAdminError, ValueError):
    """An admin call got an argument of the right type and a wrong value."""


# Bad configuration seen by a client: KlientConfigError (a ValueError) that is also the
# client's released family, so `except KafkaProducerError` catches it as it catches the
# released package's "Failed to create producer" error.


class KafkaProducerConfigError(KafkaProducerError, KlientConfigError):
    """The producer's configuration is invalid."""


class KafkaConsumerConfigError(KafkaConsumerError, KlientConfigError):
    """The consumer's configuration is invalid."""


class KafkaAdminConfigError(KafkaAdminError, KlientConfigError):
    """The admin client's configuration is invalid."""


_CONFIG_BY_FAMILY: dict[str, type[KlientConfigError]] = {
    "producer": KafkaProducerConfigError,
    "consumer": KafkaConsumerConfigError,
    "admin": KafkaAdminConfigError,
}

_PRODUCER_BY_CODE: dict[int, type[KafkaProducerError]] = {
    ERR_RETRIABLE: KafkaProducerRetriableError,
    ERR_TIMEOUT: KafkaProducerRetriableError,
    ERR_FATAL: KafkaProducerFatalError,
    ERR_FENCED: KafkaProducerFencedError,
    ERR_TRANSACTION: KafkaTransactionError,
    ERR_CIRCUIT_OPEN: KafkaProducerCircuitOpenError,
}

_CONSUMER_BY_CODE: dict[int, type[KafkaConsumerError]] = {
    ERR_RETRIABLE: KafkaConsumerRetriableError,
    ERR_TIMEOUT: KafkaConsumerRetriableError,
    ERR_FATAL: KafkaConsumerFatalError,
    ERR_REBALANCE: KafkaConsumerRebalanceError,
}

FAMILIES: dict[str, type[KlientError]] = {
    "producer": KafkaProducerError,
    "consumer": KafkaConsumerError,
    "admin": KafkaAdminError,
    "relay": KafkaRelayError,
    "klient": KlientError,
}


# family -> (kind -> class, the class of other fatal errors, of other retriable ones).
_BY_CODE: dict[str, tuple[dict[int, Any], type[KlientError], type[KlientError]]] = {
    "producer": (_PRODUCER_BY_CODE, KafkaProducerFatalError, KafkaProducerRetriableError),
    "consumer": (_CONSUMER_BY_CODE, KafkaConsumerFatalError, KafkaConsumerRetriableError),
}


def error_class(family: str, code: int, *, retriable: bool = False, fatal: bool = False) -> type[KlientError]:
    """The exception class for an error of kind ``code`` raised by ``family``."""
    if code == ERR_CONFIG:
        return _CONFIG_BY_FAMILY.get(family, KlientConfigError)
    if family in _BY_CODE:
        by_code, fatal_class, retriable_class = _BY_CODE[family]
        if code in by_code:
            return by_code[code]
        if fatal:
            return fatal_class
        if retriable:
            return retriable_class
    return FAMILIES.get(family, KlientError)
