"""klient: a Kafka client toolkit (ctypes bindings over libklient).

A drop-in replacement for the ``klient`` Python library: the same modules, classes and
CLI (``python -m klient``), with every Kafka behaviour implemented once, in the Go core,
and reached through libklient's C ABI.
"""

from __future__ import annotations

from . import _events, _native
from . import metrics
from .admin import KafkaAdmin, TopicMetadata
from .config import (
    AdminConfig,
    ConsumerConfig,
    ProducerConfig,
    extract_bootstrap,
    mask_config,
    resolve_env_config,
    split_config,
    split_env_config,
)
from .consumer import KafkaConsumer, MessageResult, TopicPartition
from .errors import (
    KafkaAdminError,
    KafkaConsumerError,
    KafkaConsumerFatalError,
    KafkaConsumerRebalanceError,
    KafkaConsumerRetriableError,
    KafkaProducerCircuitOpenError,
    KafkaProducerError,
    KafkaProducerFatalError,
    KafkaProducerFencedError,
    KafkaProducerRetriableError,
    KafkaRelayError,
    KafkaTransactionError,
    KlientConfigError,
    KlientError,
    KlientForkError,
    _PUBLIC_ERRORS,
)
from .producer import (
    FATAL_ERROR_CODES,
    FENCING_ERROR_CODES,
    RETRIABLE_ERROR_CODES,
    KafkaProducer,
    ProduceResult,
    TransactionResult,
)
from .relay import ExactlyOnceRelay

# Process-wide effects are opt-in (importing klient changes nothing in the process):
# enable_event_logging() routes libklient's events to the "klient.*" loggers (done for you
# when the first client is created), limit_malloc_arenas(n) caps glibc's malloc arenas.
enable_event_logging = _events.install_event_sink
limit_malloc_arenas = _native.limit_malloc_arenas

# The released package's version string, so that programs comparing or printing it see
# the API they were written for; klient's own is __klient_version__ (the library's).
__version__ = "0.1.02"
__klient_version__: str = _native.VERSION

__all__ = [
    "__version__",
    "resolve_env_config",
    "split_env_config",
    "extract_bootstrap",
    "TopicMetadata",
    "split_config",
    "mask_config",
    "KafkaProducer",
    "ProducerConfig",
    "ProduceResult",
    "TransactionResult",
    "KafkaConsumer",
    "ConsumerConfig",
    "MessageResult",
    "TopicPartition",
    "KafkaAdmin",
    "AdminConfig",
    "ExactlyOnceRelay",
    "metrics",
    "enable_event_logging",
    "limit_malloc_arenas",
    "RETRIABLE_ERROR_CODES",
    "FATAL_ERROR_CODES",
    "FENCING_ERROR_CODES",
    *_PUBLIC_ERRORS,
]
