"""Loading libklient, its prototypes, and the glue every module uses to call it.

Private: nothing here is public API. It owns three things:

* loading the library (``klient/_lib/libklient.so``, or ``$KLIENT_LIBRARY``, or the
  repository's ``build/lib`` during development) and declaring every prototype (with
  the types of _native_types);
* turning a non-zero status + ``klient_error_t`` into the right Python exception
  (:func:`call`, :func:`raise_error`), and library-returned strings into Python objects
  (:func:`take_str`);
* refusing calls in a forked child: the Go runtime does not survive ``fork()``, so a
  call there would hang instead of failing.

Converting Python values to and from the ABI's is _native_values' job.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import threading
from ctypes import POINTER, byref, c_char_p, c_int, c_int32, c_int64, c_size_t, c_uint64, c_void_p
from pathlib import Path
from typing import Any

from . import errors as _errors
from ._native_types import (
    ABI_VERSION,
    EVENT_SINK_FN,
    LOG_FN,
    STATS_FN,
    TRANSFORM_FN,
    DeliveryReport,
    ErrorP,
    Message,
    MessageBatch,
    PackedBatch,
    ProducerStats,
    TxnResult,
)
# relay.py takes these two from here.
from ._native_values import MessageIn, view_fields  # noqa: F401

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
    "klient_producer_produce_start": (c_int, [_P, POINTER(Message), POINTER(_P), _ERRP]),
    "klient_delivery_wait": (c_int, [_P, c_int, POINTER(c_int), POINTER(DeliveryReport), _ERRP]),
    "klient_delivery_wait_destroy": (c_int, [_P]),
    "klient_producer_produce_start_wait": (
        c_int,
        [_P, POINTER(Message), c_int, POINTER(c_int), POINTER(DeliveryReport), POINTER(_P), _ERRP],
    ),
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
    "klient_consumer_consume_deferred": (c_int, [_P, c_size_t, c_int, POINTER(POINTER(PackedBatch)), _ERRP]),
    "klient_consumer_settle": (c_int, [_P, c_size_t, c_int, _ERRP]),
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
    "klient_set_stats_cb": (c_int, [STATS_FN, c_void_p, _ERRP]),
    "klient_client_name": (c_int, [c_void_p, POINTER(c_void_p), _ERRP]),
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

#: The synchronous produce's start and first wait in one call; a library without it
#: takes produce_start and delivery_wait.
HAS_START_WAIT = "klient_producer_produce_start_wait" not in MISSING

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


class ProcessCallback:
    """One of the library's process-wide callbacks (log lines, JSON events, statistics),
    set through ``setter(fn, user_data, &err)``: installed once, on first use, and
    replaced by a NULL callback at interpreter exit, because the Go threads may outlive
    the interpreter's teardown and a callback into a finalising interpreter would crash
    (not in a forked child: no Go runtime there)."""

    def __init__(self, setter: str, fn_type: Any, callback: Any) -> None:
        self._setter, self._fn_type, self._callback = setter, fn_type, callback
        self._lock = threading.Lock()
        self.installed = False

    def install(self, op: str = "") -> None:
        with self._lock:
            if not self.installed:
                call(getattr(lib, self._setter), self._callback, None, op=op)
                self.installed = True
                atexit.register(self._remove)

    def _remove(self) -> None:
        if self.installed and not in_forked_child():
            try:
                getattr(lib, self._setter)(self._fn_type(), None, None)
            except Exception:  # pragma: no cover
                pass


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
