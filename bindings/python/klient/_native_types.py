"""The C ABI's types (include/klient.h) as ctypes: structures, callback types, the
``C_TYPES`` table and the ABI constants. Private; tests/python/test_abi.py checks all
of it against the header. _native declares the prototypes with them."""

from __future__ import annotations

from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint64,
    c_void_p,
)
from typing import Any


class Error(Structure):
    _fields_ = [
        ("code", c_int),
        ("kafka_code", c_int),
        ("retriable", c_int),
        ("fatal", c_int),
        ("txn_requires_abort", c_int),
        ("message", c_char_p),
    ]


ErrorP = POINTER(Error)


class Header(Structure):
    _fields_ = [("key", c_char_p), ("value", c_void_p), ("value_len", c_size_t)]


class Message(Structure):
    # key and value are c_char_p so that a bytes object is assigned as it is: ctypes
    # stores the address of its buffer and keeps the object alive with the struct (a
    # c_void_p needs the address computed with ctypes.cast, ~0.8 us each). They are
    # never read back through the field, which would stop at the first NUL; the
    # lengths say where they end.
    _fields_ = [
        ("topic", c_char_p),
        ("partition", c_int32),
        ("key", c_char_p),
        ("key_len", c_size_t),
        ("value", c_char_p),
        ("value_len", c_size_t),
        ("headers", POINTER(Header)),
        ("header_count", c_size_t),
        ("timestamp_ms", c_int64),
    ]


class MessageView(Structure):
    _fields_ = [
        ("topic", c_char_p),
        ("partition", c_int32),
        ("timestamp_type", c_int32),
        ("offset", c_int64),
        ("timestamp_ms", c_int64),
        ("key", c_void_p),
        ("key_len", c_size_t),
        ("value", c_void_p),
        ("value_len", c_size_t),
        ("headers", POINTER(Header)),
        ("header_count", c_size_t),
    ]


class MessageBatch(Structure):
    _fields_ = [("count", c_size_t), ("messages", POINTER(MessageView))]


class DeliveryReport(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("partition", c_int32),
        ("offset", c_int64),
        ("timestamp_ms", c_int64),
        ("error_code", c_int),
        ("kafka_code", c_int),
        ("error_message", c_char * 256),
    ]


class TxnResult(Structure):
    _fields_ = [("success", c_int), ("duration_ms", c_double)]


class ProducerStats(Structure):
    _fields_ = [("delivered", c_uint64), ("failed", c_uint64), ("pending", c_uint64)]


class PackedBatch(Structure):
    # Layout of `data`: see klient_consumer_consume_packed in include/klient.h and
    # _consumer_types._parse_packed.
    _fields_ = [("count", c_size_t), ("size", c_size_t), ("data", c_void_p)]


TRANSFORM_FN = CFUNCTYPE(c_int, c_void_p, POINTER(MessageView), c_size_t, c_void_p)
EVENT_SINK_FN = CFUNCTYPE(None, c_void_p, POINTER(c_char), c_size_t)
LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_char_p, c_char_p, c_char_p)
STATS_FN = CFUNCTYPE(None, c_void_p, c_char_p, c_char_p)

# Every type name of include/klient.h -> its ctypes type: the one table the structures,
# callbacks and prototypes here are checked against (tests/python/test_abi.py parses
# the header and fails, naming both places, on any disagreement).
C_TYPES: dict[str, Any] = {
    "void": None,
    "char": c_char,
    "int": c_int,
    "int32_t": c_int32,
    "int64_t": c_int64,
    "uint8_t": c_uint8,
    "uint64_t": c_uint64,
    "size_t": c_size_t,
    "double": c_double,
    # Opaque handles: only ever passed back to the library.
    "klient_producer_t": c_void_p,
    "klient_consumer_t": c_void_p,
    "klient_admin_t": c_void_p,
    "klient_relay_t": c_void_p,
    "klient_relay_output_t": c_void_p,
    "klient_delivery_wait_t": c_void_p,
    "klient_error_t": Error,
    "klient_header_t": Header,
    "klient_message_t": Message,
    "klient_message_view_t": MessageView,
    "klient_message_batch_t": MessageBatch,
    "klient_delivery_report_t": DeliveryReport,
    "klient_txn_result_t": TxnResult,
    "klient_producer_stats_t": ProducerStats,
    "klient_packed_batch_t": PackedBatch,
    "klient_transform_fn": TRANSFORM_FN,
    "klient_event_sink_fn": EVENT_SINK_FN,
    "klient_log_fn": LOG_FN,
    "klient_stats_fn": STATS_FN,
}

CONSUMER_REBALANCE_EVENTS = 1
SETTLE_KEEP = 1  # KLIENT_SETTLE_KEEP: klient_consumer_settle leaves the batch outstanding
# KLIENT_TIMESTAMP_*: a consumed message's timestamp type (confluent-kafka's values).
TIMESTAMP_NOT_AVAILABLE = 0
TIMESTAMP_CREATE_TIME = 1
TIMESTAMP_LOG_APPEND_TIME = 2
PRODUCE_TRACKED = 1  # KLIENT_PRODUCE_TRACKED: a delivery report (with an id) per message
ABI_VERSION = 1
