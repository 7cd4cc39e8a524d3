"""Blocking library calls that still let Ctrl-C through.

Python runs signal handlers only in the main thread, between bytecodes: while the main
thread sits in one long ctypes call (a synchronous produce waiting for its delivery,
an admin request), Ctrl-C waits for the call's timeout, or forever. Calls that cannot
be cut into short slices run here in a helper thread while the main thread waits in
steps of SLICE seconds, so KeyboardInterrupt is raised within one step. The abandoned
call finishes in the background (its result is dropped); the library keeps every
buffer it reads alive for the call, and the helper's closure keeps the Python ones.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

#: The longest a blocking Python call goes without checking for signals (seconds).
SLICE = 0.1
SLICE_MS = int(SLICE * 1000)

# Calls abandoned by an exception in the waiting thread (Ctrl-C) that still run. A
# client's __del__ must not destroy its handle then: destroying waits for such a call
# (a transaction step holds the producer's transaction lock until its timeout, forever
# for a lazy init without one), and a process exiting after Ctrl-C would hang.
_abandoned = 0
_abandoned_lock = threading.Lock()


def in_slices(step: Callable[[int], Any], ms: float) -> Any:
    """Call ``step(slice_ms)`` until it returns something other than None, and return
    that; None when ``ms`` (-1: no limit) passed first. The calls wait at most SLICE
    each, so the main thread returns to the interpreter (and raises Ctrl-C) between
    them: for calls that can be cut into slices, without a helper thread."""
    deadline = None if ms < 0 else time.monotonic() + ms / 1000
    while True:
        left = SLICE_MS if deadline is None else max(0, min(SLICE_MS, int((deadline - time.monotonic()) * 1000)))
        out = step(left)
        if out is not None:
            return out
        if deadline is not None and time.monotonic() >= deadline:
            return None


def abandoned_calls_running() -> bool:
    """True while a call interrupted by Ctrl-C still runs in its helper thread."""
    return _abandoned > 0


def interruptible(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``; in the main thread, run so that a signal handler's exception
    (KeyboardInterrupt) is raised within SLICE seconds. Other threads never get
    signals: there it is a plain call."""
    if threading.current_thread() is not threading.main_thread():
        return fn(*args)
    global _abandoned
    box: list[tuple[bool, Any]] = []
    done = threading.Event()
    abandoned = [False]

    def run() -> None:
        global _abandoned
        try:
            box.append((True, fn(*args)))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box.append((False, e))
        with _abandoned_lock:
            done.set()
            if abandoned[0]:
                _abandoned -= 1

    threading.Thread(target=run, name="klient-call", daemon=True).start()
    try:
        while not done.wait(SLICE):
            pass
    except BaseException:
        with _abandoned_lock:
            if not done.is_set():
                abandoned[0] = True
                _abandoned += 1
        raise
    ok, out = box[0]
    if ok:
        return out
    raise out
