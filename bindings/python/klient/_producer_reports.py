"""Delivery reports: pulled in batches (one crossing for up to 1024), matched to their
waiters by id, failures counted and logged; poll() and the delivery callbacks. Mixin
of KafkaProducer (producer.py)."""

from __future__ import annotations

import json
import select
import time
from ctypes import byref, c_size_t
from typing import Any, Callable

from . import _native_values
from ._native import lib
from ._producer_base import (
    ProduceResult,
    _DRAIN_EVERY,
    _REPORT_CAPACITY,
    _REPORT_MSG_AT,
    _REPORT_STRUCT,
    _Report,
    _SLICE_MS,
    _UNKNOWN_PARTITION,
    _log,
    _result_of,
    _seconds,
    _typed,
)
from .errors import KafkaProducerError


class _Reports:
    """Mixin of KafkaProducer (see producer.py)."""

    def _drain(self, timeout_ms: int = 0) -> int:
        """Pull up to 1024 delivery reports (one crossing) and hand them to waiters,
        first waiting up to ``timeout_ms`` for one to arrive."""
        n = c_size_t()
        if timeout_ms > 0:
            # The wait is on the readiness fd, without the lock: a wait under it would
            # stall every other thread's produce for its whole length.
            self._handle("poll_reports")
            waiter = select.poll()
            waiter.register(self._fd, select.POLLIN)
            waiter.poll(timeout_ms)
        with self._lock:
            self._call(lib.klient_producer_poll_reports, self._reports, _REPORT_CAPACITY, 0, byref(n), op="poll_reports")
            count = n.value
            self._queued_since_drain = 0
            if not count:
                return 0
            # One C-speed pass over the raw reports; the error text is decoded only
            # for failures.
            raw = memoryview(self._reports).cast("B")[: count * _REPORT_STRUCT.size]
            pop = self._waiters.pop
            calls = []
            for i, (rid, part, off, ts, code, kc) in enumerate(_REPORT_STRUCT.iter_unpack(raw)):
                msg = ""
                if code:
                    at = i * _REPORT_STRUCT.size + _REPORT_MSG_AT
                    msg = bytes(raw[at : at + 256]).split(b"\0", 1)[0].decode("utf-8", "replace")
                calls.append((pop(rid, None) if rid else None, (rid, part, off, ts, code, kc, msg)))
        for cb, r in calls:
            if cb is not None:
                cb(r)
            elif r[4]:
                # Nobody waits for this report (an untracked or flush=False message):
                # count it and make the failure visible in the log.
                self._note_failure(r[0], r[6], r[4], r[5])
        return count

    def _note_failure(self, mid: int, error: str, code: int, kafka_code: int, n: int = 1) -> None:
        self._delivery_failures += n
        if kafka_code == _UNKNOWN_PARTITION:
            self._known_parts.clear()  # a partition accepted before metadata was known
        ev = {"event": "delivery_failed", "id": mid, "error": error, "error_code": code, "kafka_code": kafka_code}
        if n != 1:
            ev["messages"] = n
        _log.warning(json.dumps(ev))

    def poll(self, timeout: float | None = 0) -> int:
        """Send buffered messages and collect delivery reports of queued messages
        (waiting up to ``timeout`` seconds for the first one; None or < 0: until one
        arrives), running their delivery callbacks; returns how many reports were
        collected. Failures are counted in :attr:`delivery_failures` and logged;
        untracked messages (``produce(flush=False)`` without a callback) report only
        failures. An exception raised by a ``callback=`` is raised here as
        KafkaProducerError (as the released package does)."""
        try:
            ms = _native_values.timeout_ms(_seconds(timeout))
        except (TypeError, ValueError) as e:
            raise _typed(e) from None
        self._send_buffer()
        total = self._drain(min(ms, _SLICE_MS) if ms >= 0 else _SLICE_MS)
        deadline = time.monotonic() + (ms / 1000 if ms > 0 else 0)
        while total == 0 and (ms < 0 or time.monotonic() < deadline):
            total += self._drain(_SLICE_MS)
        while True:
            n = self._drain(0)
            total += n
            if n < _REPORT_CAPACITY:
                break
        self._raise_callback_error("Poll error")
        return total

    def _raise_callback_error(self, what: str) -> None:
        e, self._callback_error = self._callback_error, None
        if e is not None:
            raise KafkaProducerError(f"{what}: {e}") from e

    def _reporter(self, topic: str, callback: Callable[[ProduceResult], Any] | None,
                  every_report: bool = False) -> Callable[[_Report], None]:
        """The waiter that turns a delivery report into a ProduceResult for ``callback``
        (a produce's own) or else ``delivery_callback``. An exception of the producer's
        delivery_callback is logged; one of a per-message callback is raised by the
        next flush()/poll() (both as the released package). ``every_report``: callback
        is klient's own and hears of successes also under delivery.report.only.error."""
        own = callback is not None
        cb = callback if own else self.delivery_callback

        def report(r: _Report) -> None:
            res = _result_of(topic, r)
            if not res.success:
                self._note_failure(r[0], r[6], r[4], r[5])
            if cb is None or not (every_report or self._calls_back(res)):
                return
            try:
                cb(res)
            except Exception as e:  # noqa: BLE001 - reported where the released package does
                if own:
                    if self._callback_error is None:
                        self._callback_error = e
                else:
                    _log.error(json.dumps({"event": "delivery_callback_failed", "topic": topic, "error": repr(e)}))

        return report

    def _calls_back(self, res: ProduceResult) -> bool:
        """Whether delivery callbacks hear of ``res``: not of a success when the config
        sets librdkafka's delivery.report.only.error, whose meaning (as under the
        released package's confluent-kafka) klient applies here, because the library
        itself needs every report (a synchronous produce, flush and close count them)."""
        return not (res.success and self._only_error_reports)

    @property
    def delivery_failures(self) -> int:
        """How many queued (flush=False) messages failed so far: rejected by the
        broker, or refused when handed to the library from the produce buffer."""
        return self._delivery_failures

    def _note_queued(self, n: int) -> None:
        self._queued_since_drain += n
        if self._queued_since_drain >= _DRAIN_EVERY:
            # Reports of queued messages pile up in the library until pulled.
            while self._drain(0) == _REPORT_CAPACITY:
                pass
