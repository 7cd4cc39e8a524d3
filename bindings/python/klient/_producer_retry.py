"""produce_with_retry and the core's circuit breaker (the asyncio form is in
_producer_async)."""

from __future__ import annotations

import functools
from ctypes import byref, c_int
from typing import Any

from . import _checks, _native, _native_values, _wait
from ._native import lib
from ._native_values import MessageIn
from ._producer_base import _BREAKER_STATES, ProduceResult, _produce_args, _report_tuple, _result_of, _seconds, _typed


class _Retry:
    """Mixin of KafkaProducer (see producer.py)."""

    def produce_with_retry(self, *args: Any, max_attempts: int = 5, base_backoff: float = 0.05, **kwargs: Any) -> ProduceResult:
        """Produce and wait for the delivery, retrying retriable failures with
        exponential backoff (``base_backoff * 2^(attempt-1)`` seconds, +-10% jitter).
        ``args``/``kwargs`` are produce()'s (topic, value, key, headers, partition,
        callback, flush, timestamp, timeout: seconds per attempt, None for no limit);
        ``callback`` gets the final result. Raises KafkaProducerRetriableError when the
        attempts are exhausted (the circuit breaker then opens: later calls raise
        KafkaProducerCircuitOpenError until it cools down), KafkaProducerFatalError /
        KafkaProducerFencedError at once for those."""
        try:
            a = _produce_args(args, kwargs)
            max_attempts, base_ms = self._retry_args(max_attempts, base_backoff)
            m = MessageIn(a["topic"], a.get("key"), a.get("value"), a.get("partition"), a.get("headers"), a.get("timestamp"))
            ms = _native_values.timeout_ms(_seconds(a.get("timeout")))
        except (TypeError, ValueError) as e:
            raise _typed(e) from None
        h = self._handle("produce_with_retry")
        if self._unsent():
            self._send_buffer()  # keep the order of earlier queued messages
        rep = _native.DeliveryReport()
        _native.call(functools.partial(_wait.interruptible, lib.klient_producer_produce_with_retry), h, byref(m.struct),
                     max_attempts, base_ms, ms, byref(rep), family="producer", op="produce_with_retry")
        res = _result_of(a["topic"], _report_tuple(rep))
        cb = a.get("callback") or self.delivery_callback
        if cb is not None and self._calls_back(res):
            cb(res)
        return res

    @staticmethod
    def _retry_args(max_attempts: int, base_backoff: float) -> tuple[int, int]:
        # Both cross as C ints: bounded here, where ctypes would keep the low 32 bits.
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or not 1 <= max_attempts <= _checks.INT32_MAX:
            raise ValueError(f"max_attempts must be an int between 1 and {_checks.INT32_MAX}, got {max_attempts!r}")
        if isinstance(base_backoff, bool) or not isinstance(base_backoff, (int, float)) or not 0 <= base_backoff <= _checks.INT32_MAX / 1000:
            raise ValueError(f"base_backoff must be a number of seconds >= 0 (at most {_checks.INT32_MAX // 1000}), got {base_backoff!r}")
        return max_attempts, max(1, int(base_backoff * 1000))

    @property
    def breaker_state(self) -> str:
        """The circuit breaker's state: "closed", "open" or "half_open"."""
        st = c_int()
        self._call(lib.klient_producer_breaker_state, byref(st), op="breaker_state")
        return _BREAKER_STATES.get(st.value, "unknown")

    def configure_breaker(self, cooldown: float = 5.0) -> None:
        """Replace the circuit breaker with a closed one using ``cooldown`` seconds."""
        self._call(lib.klient_producer_breaker_configure, _native_values.timeout_ms(cooldown, "cooldown"), op="configure_breaker")
