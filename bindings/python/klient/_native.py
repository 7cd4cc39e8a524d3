"""ctypes declarations for libklient (include/klient.h) and the glue every module uses.

Private: nothing here is public API. It owns three things:

* loading the library (``klient/_lib/libklient.so``, or ``$KLIENT_LIBRARY``, or the
  repository's ``build/lib`` during development) and declaring every prototype;
* turning a non-zero status + ``klient_error_t`` into the right Python exception
  (:func:`check`), and library-returned strings into Python objects (:func:`take_str`);
* refusing calls in a forked child: the Go runtime does not survive ``fork()``, so a
  call there would hang instead of failing.
"""

from __future__ import annotations

import ctypes
import json
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    byref,
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
from pathlib import Path
from typing import Any

from . import _checks
from . import errors as _errors

# ---- structures ------------------------------------------------------------------------


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
    _fields_ = [
        ("topic", c_char_p),
        ("partition", c_int32),
        ("key", c_void_p),
        ("key_len", c_size_t),
        ("value", c_void_p),
        ("value_len", c_size_t),
        ("headers", POINTER(Header)),
        ("header_count", c_size_t),
        ("timestamp_ms", c_int64),
    ]


class MessageView(Structure):
    _fields_ = [
        ("topic", c_char_p),
        ("partition", c_int32),
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
    # consumer._parse_packed.
    _fields_ = [("count", c_size_t), ("size", c_size_t), ("data", c_void_p)]


TRANSFORM_FN = CFUNCTYPE(c_int, c_void_p, POINTER(MessageView), c_size_t, c_void_p)
EVENT_SINK_FN = CFUNCTYPE(None, c_void_p, POINTER(c_char), c_size_t)
LOG_FN = CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_char_p, c_char_p, c_char_p)

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
}

CONSUMER_REBALANCE_EVENTS = 1
PRODUCE_TRACKED = 1  # KLIENT_PRODUCE_TRACKED: a delivery report (with an id) per message
ABI_VERSION = 1

# ---- loading ---------------------------------------------------------------------------

_PKG_DIR = Path(__file__).resolve().parent
LIB_DIR = _PKG_DIR / "_lib"


def _candidates() -> list[Path]:
    env = os.environ.get("KLIENT_LIBRARY")
    out = [Path(env)] if env else []
    out.append(LIB_DIR / "libklient.so")
    # Development checkout: bindings/python/klient -> repository root.
    out.append(_PKG_DIR.parents[2] / "build" / "lib" / "libklient.so")
    return out


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if path.is_file():
            try:
                return ctypes.CDLL(str(path))
            except OSError as e:  # pragma: no cover - only with a broken build
                tried.append(f"{path}: {e}")
        else:
            tried.append(f"{path}: not found")
    raise ImportError(
        "klient: cannot load libklient.so (run `make build` at the repository root, or "
        "set KLIENT_LIBRARY to its path). Tried:\n  " + "\n  ".join(tried)
    )


def limit_malloc_arenas(n: int = 2) -> None:
    """Cap glibc's malloc arenas at ``n`` (``mallopt(M_ARENA_MAX, n)``) for the whole process.

    Opt-in, because it changes the host process's allocator: call it early, before
    clients start their threads, or set ``KLIENT_MALLOC_ARENA_MAX=n`` in the environment
    to have ``import klient`` call it. Why: the Go runtime's and librdkafka's threads
    each get a malloc arena of their own (up to 8 per core); memory freed in one arena is
    not reused by another, which cost ~13 MB of RSS in a process with one producer and
    one consumer (docs/BENCHMARKS.md). Not glibc (musl, macOS): does nothing."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return
    mallopt.argtypes, mallopt.restype = [c_int, c_int], c_int
    mallopt(-8, n)  # M_ARENA_MAX


def _arenas_from_env() -> None:
    """``KLIENT_MALLOC_ARENA_MAX=n`` is the user asking for :func:`limit_malloc_arenas`
    at import (before libklient's threads exist); an explicit MALLOC_ARENA_MAX wins."""
    want = os.environ.get("KLIENT_MALLOC_ARENA_MAX", "")
    if not want or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        n = int(want)
    except ValueError:
        raise ImportError(f"klient: KLIENT_MALLOC_ARENA_MAX must be an int, got {want!r}") from None
    if n > 0:
        limit_malloc_arenas(n)


_arenas_from_env()
lib = _load()
LIB_PATH: str = lib._name

_ERRP = POINTER(ErrorP)
_P = c_void_p  # handles are opaque pointers

_PROTOTYPES: dict[str, tuple[Any, list[Any]]] = {
    "klient_error_destroy": (None, [ErrorP]),
    "klient_free": (None, [c_void_p]),
    "klient_version": (c_char_p, []),
    "klient_abi_version": (c_int, []),
    "klient_error_codes": (c_int, [POINTER(c_void_p), _ERRP]),
    "klient_config_resolve": (c_int, [c_char_p, c_char_p, POINTER(c_void_p), _ERRP]),
    "klient_config_split": (c_int, [c_char_p, POINTER(c_void_p), _ERRP]),
    "klient_config_mask": (c_int, [c_char_p, POINTER(c_void_p), _ERRP]),
    "klient_message_batch_destroy": (None, [POINTER(MessageBatch)]),
    # producer
    "klient_producer_new": (c_int, [c_char_p, POINTER(_P), _ERRP]),
    "klient_producer_close": (c_int, [_P, c_int, _ERRP]),
    "klient_producer_destroy": (c_int, [_P]),
    "klient_producer_produce": (c_int, [_P, POINTER(Message), c_int, POINTER(DeliveryReport), _ERRP]),
    "klient_producer_produce_async": (c_int, [_P, POINTER(Message), POINTER(c_uint64), _ERRP]),
    "klient_producer_produce_batch": (
        c_int,
        [_P, POINTER(Message), c_size_t, POINTER(c_uint64), POINTER(c_size_t), _ERRP],
    ),
    "klient_producer_poll_reports": (
        c_int,
        [_P, POINTER(DeliveryReport), c_size_t, c_int, POINTER(c_size_t), _ERRP],
    ),
    "klient_producer_flush": (c_int, [_P, c_int, _ERRP]),
    "klient_producer_pending": (c_int, [_P, POINTER(c_size_t), _ERRP]),
    "klient_producer_ready_fd": (c_int, [_P, POINTER(c_int), _ERRP]),
    "klient_producer_init_transactions": (c_int, [_P, c_int, _ERRP]),
    "klient_producer_begin_transaction": (c_int, [_P, POINTER(TxnResult), _ERRP]),
    "klient_producer_commit_transaction": (c_int, [_P, c_int, POINTER(TxnResult), _ERRP]),
    "klient_producer_abort_transaction": (c_int, [_P, c_int, POINTER(TxnResult), _ERRP]),
    "klient_producer_in_transaction": (c_int, [_P, POINTER(c_int), _ERRP]),
    "klient_producer_send_offsets": (c_int, [_P, _P, c_int, _ERRP]),
    "klient_producer_produce_with_retry": (
        c_int,
        [_P, POINTER(Message), c_int, c_int, c_int, POINTER(DeliveryReport), _ERRP],
    ),
    "klient_producer_breaker_configure": (c_int, [_P, c_int, _ERRP]),
    "klient_producer_breaker_state": (c_int, [_P, POINTER(c_int), _ERRP]),
    "klient_producer_produce_packed": (
        c_int,
        [_P, c_char_p, c_int32, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_int,
         POINTER(c_uint64), POINTER(c_size_t), _ERRP],
    ),
    "klient_producer_stats": (c_int, [_P, POINTER(ProducerStats), _ERRP]),
    # consumer
    "klient_consumer_new": (c_int, [c_char_p, c_int, POINTER(_P), _ERRP]),
    "klient_consumer_subscribe": (c_int, [_P, POINTER(c_char_p), c_size_t, _ERRP]),
    "klient_consumer_consume": (c_int, [_P, c_size_t, c_int, POINTER(POINTER(MessageBatch)), _ERRP]),
    "klient_consumer_seek": (c_int, [_P, c_char_p, c_int32, c_int64, _ERRP]),
    "klient_consumer_commit": (c_int, [_P, _ERRP]),
    "klient_consumer_commit_async": (c_int, [_P, _ERRP]),
    "klient_consumer_assignment": (c_int, [_P, POINTER(c_void_p), _ERRP]),
    "klient_consumer_position": (c_int, [_P, POINTER(c_void_p), _ERRP]),
    "klient_consumer_committed": (c_int, [_P, c_int, POINTER(c_void_p), _ERRP]),
    "klient_consumer_rebalance_events": (c_int, [_P, POINTER(c_void_p), _ERRP]),
    "klient_consumer_ready_fd": (c_int, [_P, POINTER(c_int), _ERRP]),
    "klient_consumer_stop": (c_int, [_P, _ERRP]),
    "klient_consumer_close": (c_int, [_P, _ERRP]),
    "klient_consumer_destroy": (c_int, [_P]),
    "klient_consumer_consume_packed": (c_int, [_P, c_size_t, c_int, POINTER(POINTER(PackedBatch)), _ERRP]),
    "klient_packed_batch_destroy": (None, [POINTER(PackedBatch)]),
    # admin
    "klient_admin_new": (c_int, [c_char_p, POINTER(_P), _ERRP]),
    "klient_admin_create_topics": (c_int, [_P, c_char_p, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_delete_topics": (c_int, [_P, c_char_p, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_list_topics": (c_int, [_P, c_int, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_describe_topics": (c_int, [_P, c_char_p, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_validate_topics": (c_int, [_P, c_char_p, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_cluster_metadata": (c_int, [_P, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_describe_configs": (c_int, [_P, c_char_p, c_int, POINTER(c_void_p), _ERRP]),
    "klient_admin_destroy": (c_int, [_P]),
    # relay
    "klient_relay_emit": (c_int, [c_void_p, POINTER(Message)]),
    "klient_relay_new": (c_int, [_P, _P, c_char_p, TRANSFORM_FN, c_void_p, POINTER(_P), _ERRP]),
    "klient_relay_run": (c_int, [_P, c_char_p, c_char_p, _ERRP]),
    "klient_relay_stop": (c_int, [_P, _ERRP]),
    "klient_relay_stats": (c_int, [_P, POINTER(c_void_p), _ERRP]),
    "klient_relay_destroy": (c_int, [_P]),
    # metrics, events, cli
    "klient_metrics_inc": (c_int, [c_char_p, c_int64, _ERRP]),
    "klient_metrics_get": (c_int, [c_char_p, POINTER(c_int64), _ERRP]),
    "klient_metrics_snapshot": (c_int, [POINTER(c_void_p), _ERRP]),
    "klient_metrics_prometheus": (c_int, [POINTER(c_void_p), _ERRP]),
    "klient_metrics_reset": (c_int, [_ERRP]),
    "klient_events_set_sink": (c_int, [EVENT_SINK_FN, c_void_p, _ERRP]),
    "klient_set_log_cb": (c_int, [LOG_FN, c_void_p, _ERRP]),
    "klient_cli_main": (c_int, [c_int, POINTER(c_char_p)]),
}

MISSING: list[str] = []
for _name, (_res, _args) in _PROTOTYPES.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:  # pragma: no cover - a library older than this package
        MISSING.append(_name)
        continue
    _fn.restype = _res
    _fn.argtypes = _args

if lib.klient_abi_version() != ABI_VERSION:  # pragma: no cover
    raise ImportError(f"klient: {LIB_PATH} implements ABI {lib.klient_abi_version()}, this package needs {ABI_VERSION}")

VERSION: str = lib.klient_version().decode()

#: The packed produce call (one crossing for a whole batch from contiguous buffers).
#: A library without it still works, through the per-message structs.
HAS_PACKED_PRODUCE = "klient_producer_produce_packed" not in MISSING and "klient_producer_stats" not in MISSING

# ---- fork safety -----------------------------------------------------------------------

_LOAD_PID = os.getpid()
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def in_forked_child() -> bool:
    """True in a child process forked after libklient was loaded."""
    return _forked


def check_fork(what: str, family: str, created_pid: int) -> None:
    """Raise if ``what`` (created in ``created_pid``) is used in a forked child.

    The flag set by the at-fork hook is enough: no client can be created in a child
    (every library call refuses there), so any object a child holds was created in a
    parent. No os.getpid() per call."""
    if _forked:
        raise _fork_error(what, family, created_pid)


def _fork_error(what: str, family: str, created_pid: int) -> _errors.KlientError:
    cls = type(
        "KlientForkError",
        (_errors.KlientForkError, _errors.FAMILIES.get(family, _errors.KlientError)),
        {},
    )
    return cls(
        f"{what} was created in process {created_pid} and cannot be used in process "
        f"{os.getpid()} after os.fork(): libklient's threads do not survive fork, and no "
        f"klient call works in a process forked after klient was imported. Start worker "
        f"processes with multiprocessing's 'spawn' start method ("
        f"multiprocessing.get_context('spawn')) and create the client in the worker.",
        code=_errors.ERR_INVALID_ARGUMENT,
    )


# ---- errors and strings ----------------------------------------------------------------


def new_err() -> ErrorP:  # type: ignore[valid-type]
    return ErrorP()


def raise_error(rc: int, err: Any, family: str, op: str = "") -> None:
    """Raise the exception for status ``rc`` whose details are in ``err`` (an ErrorP),
    freeing ``err``."""
    raise error_of(rc, err, family, op)


def error_of(rc: int, err: Any, family: str, op: str = "") -> _errors.KlientError:
    """The exception for status ``rc`` whose details are in ``err`` (freed here)."""
    code, kafka_code, retriable, fatal, txn_abort = rc, 0, False, False, False
    message = _errors.CODE_NAMES.get(rc, f"error {rc}")
    if err:
        e = err.contents
        code = e.code or rc
        kafka_code = e.kafka_code
        retriable, fatal, txn_abort = bool(e.retriable), bool(e.fatal), bool(e.txn_requires_abort)
        if e.message:
            message = e.message.decode("utf-8", "replace")
        lib.klient_error_destroy(err)
    if op and not message.startswith(op):
        message = f"{op}: {message}"
    cls = _errors.error_class(family, code, retriable=retriable, fatal=fatal)
    return cls(
        message,
        code=code,
        kafka_code=kafka_code,
        retriable=retriable,
        fatal=fatal,
        txn_requires_abort=txn_abort,
    )


# Creating a client is the user asking klient to work, and to log its events as the
# released package logs through `logging`: the first constructor call installs the
# sinks (see call()). Importing the package alone installs nothing.
_CONSTRUCTORS = frozenset({"klient_producer_new", "klient_consumer_new", "klient_admin_new", "klient_relay_new"})


def call(fn: Any, *args: Any, family: str = "klient", op: str = "") -> None:
    """Call ``fn(*args, &err)`` and raise the mapped exception on a non-zero status."""
    if _forked:
        raise _fork_error("libklient", family, _LOAD_PID)
    if getattr(fn, "__name__", "") in _CONSTRUCTORS:
        # libklient's events and librdkafka's log lines -> logging (_events.py, _logging.py)
        from . import _events, _logging

        _events.install_event_sink()
        _logging.install()
    err = ErrorP()
    rc = fn(*args, byref(err))
    if rc != 0:
        raise_error(rc, err, family, op)


def take_str(ptr: c_void_p) -> str:
    """Decode and free a library-returned string."""
    if not ptr.value:
        return ""
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib.klient_free(ptr)


def call_json(fn: Any, *args: Any, family: str = "klient", op: str = "") -> Any:
    """Call a function whose second-to-last argument is a ``char **`` JSON output."""
    out = c_void_p()
    call(fn, *args, byref(out), family=family, op=op)
    return json.loads(take_str(out) or "null")


def error_codes() -> dict[str, set[int]]:
    raw = call_json(lib.klient_error_codes)
    return {k: set(v or []) for k, v in raw.items()}


# ---- bytes in --------------------------------------------------------------------------


def as_bytes(value: Any, what: str) -> bytes | None:
    """bytes/bytearray/memoryview/str (UTF-8) or None; anything else is a TypeError."""
    t = type(value)
    if t is bytes or value is None:
        return value
    if t is str:
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes, str or None, got {type(value).__name__}")


def _addr(b: bytes) -> int:
    """Address of a bytes object's buffer (valid while the object lives)."""
    return ctypes.cast(b, c_void_p).value or 0


class MessageIn:
    """Keeps the Python buffers of one klient_message_t alive while C reads them."""

    __slots__ = ("struct", "_keep")

    def __init__(
        self,
        topic: str | None,
        key: Any = None,
        value: Any = None,
        partition: int | None = None,
        headers: Any = None,
        timestamp: Any = None,
        *,
        topic_required: bool = True,
    ) -> None:
        if topic is None and topic_required or topic is not None and not isinstance(topic, str):
            raise TypeError(f"topic must be a non-empty str, got {type(topic).__name__}")
        if topic is not None and not topic:
            raise ValueError("topic must be a non-empty str")
        if partition is not None and (not isinstance(partition, int) or isinstance(partition, bool)):
            raise TypeError(f"partition must be an int or None, got {type(partition).__name__}")
        if partition is not None:
            _checks.partition(partition)
        ts = _timestamp_ms(timestamp)
        k = as_bytes(key, "key")
        v = as_bytes(value, "value")
        m = Message()
        keep: list[Any] = []
        if topic is not None:
            tb = _checks.cstr(topic, "topic")
            keep.append(tb)
            m.topic = tb
        m.partition = -1 if partition is None else partition
        # Pointers straight into the bytes objects (no copy): the library copies what it
        # keeps during the call, and `keep` holds the objects until then.
        if k is not None:
            keep.append(k)
            m.key = _addr(k)
            m.key_len = len(k)
        if v is not None:
            keep.append(v)
            m.value = _addr(v)
            m.value_len = len(v)
        hs = normalize_headers(headers)
        if hs:
            arr = (Header * len(hs))()
            for i, (hk, hv) in enumerate(hs):
                kb2 = _checks.cstr(hk, "header key")
                keep.append(kb2)
                arr[i].key = kb2
                if hv is not None:
                    keep.append(hv)
                    arr[i].value = _addr(hv)
                    arr[i].value_len = len(hv)
            keep.append(arr)
            m.headers = arr
            m.header_count = len(hs)
        m.timestamp_ms = ts
        self.struct = m
        self._keep = keep


def fill_message(dst: Message, src: MessageIn) -> None:  # type: ignore[valid-type]
    ctypes.memmove(ctypes.addressof(dst), ctypes.addressof(src.struct), ctypes.sizeof(Message))


def normalize_headers(headers: Any) -> list[tuple[str, bytes | None]]:
    """Headers as a dict or a list of (key, value) pairs; values bytes/str/None."""
    if headers is None:
        return []
    if isinstance(headers, dict):
        items = list(headers.items())
    elif isinstance(headers, (list, tuple)):
        items = list(headers)
    else:
        raise TypeError(f"headers must be a dict or a list of (key, value) pairs, got {type(headers).__name__}")
    out: list[tuple[str, bytes | None]] = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"each header must be a (key, value) pair, got {item!r}")
        hk, hv = item
        if not isinstance(hk, str):
            raise TypeError(f"header keys must be str, got {type(hk).__name__}")
        out.append((hk, as_bytes(hv, f"header {hk!r} value")))
    return out


def _timestamp_ms(ts: Any) -> int:
    if ts is None:
        return 0
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        import datetime as _dt

        if isinstance(ts, _dt.datetime):
            return int(ts.timestamp() * 1000)
        raise TypeError(f"timestamp must be milliseconds since the epoch (int) or a datetime, got {type(ts).__name__}")
    # Checked before int(): NaN and infinities fail the range check too.
    return int(_checks.int64(ts, "timestamp (ms)", low=0))


# ---- bytes out -------------------------------------------------------------------------


def view_fields(v: MessageView) -> tuple[str, int, int, bytes | None, bytes | None, list[tuple[str, bytes | None]] | None, int | None]:  # type: ignore[valid-type]
    """(topic, partition, offset, key, value, headers, timestamp) copied out of a view."""
    key = ctypes.string_at(v.key, v.key_len) if v.key else None
    value = ctypes.string_at(v.value, v.value_len) if v.value else None
    headers = None
    if v.header_count:
        headers = []
        for i in range(v.header_count):
            h = v.headers[i]
            hv = ctypes.string_at(h.value, h.value_len) if h.value else None
            headers.append((h.key.decode("utf-8", "replace"), hv))
    topic = v.topic.decode("utf-8") if v.topic else ""
    return topic, v.partition, v.offset, key, value, headers, (v.timestamp_ms or None)


def timeout_ms(timeout: float | None, what: str = "timeout") -> int:
    """Seconds (None: forever) -> the ABI's milliseconds (< 0: forever)."""
    if timeout is None:
        return -1
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, got {type(timeout).__name__}")
    if not timeout >= 0:  # NaN fails this too (int(nan) would raise an unclear error)
        raise ValueError(f"{what} must be >= 0 seconds (or None to wait forever), got {timeout}")
    if timeout == float("inf"):
        return -1  # int(inf) would raise OverflowError; infinity is "forever"
    return min(int(timeout * 1000), 2**31 - 1)
