"""The asyncio calls: apoll, aconsume_messages, amessage_stream and astart_consuming
wait on the consumer's readiness fd through the running loop (no thread). Mixin of
KafkaConsumer (consumer.py)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from typing import AsyncIterator

from ._consumer_types import MessageResult, _SLICE, _check_batch, _check_limit, _check_timeout, _count, logger


class _ConsumerAsync:
    """Mixin of KafkaConsumer (see consumer.py)."""

    async def amessage_stream(self, timeout: float = 1.0, limit: int | None = None, max_batch: int = 1) -> AsyncIterator[MessageResult]:
        """The asyncio form of :meth:`message_stream` (batched the same way, and the
        same guarantee: only yielded messages count as handed out): waits on the
        consumer's readiness fd through the running loop (no thread)."""
        wait = min(_check_timeout(timeout), _SLICE)
        _check_limit(limit)
        _check_batch(max_batch)
        loop = asyncio.get_running_loop()
        # After a break, this generator is closed later (by the loop's asyncgen hook);
        # any library call before that settles first (_handle).
        with contextlib.closing(self._stream_batches(limit, max_batch, 0)) as batches:
            for msgs, tok in batches:
                if not msgs:
                    await self._wait_readable(loop, wait)
                    continue
                for m in self._yield_taken(msgs, tok):
                    yield m

    async def _wait_readable(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        if self._closed:
            return
        fut: asyncio.Future[None] = loop.create_future()
        loop.add_reader(self._fd, lambda: fut.done() or fut.set_result(None))
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(fut, timeout)
        finally:
            if not self._closed:
                loop.remove_reader(self._fd)

    async def apoll(self, timeout: float = 1.0) -> MessageResult | None:
        """The asyncio form of :meth:`poll`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _check_timeout(timeout)
        while True:
            msgs = self._take(1, 0)
            if msgs:
                return msgs[0]
            left = deadline - loop.time()
            if self._stopped or left <= 0:
                return None
            await self._wait_readable(loop, min(left, _SLICE))

    async def apoll_message(self, timeout: float = 1.0) -> MessageResult | None:
        """The released name of :meth:`apoll`."""
        return await self.apoll(timeout)

    async def aconsume_messages(self, count: int = 1, timeout: float = 1.0, *, max_messages: int | None = None) -> list[MessageResult]:
        """The asyncio form of :meth:`consume_messages`."""
        want = _count(count, max_messages)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _check_timeout(timeout)
        out: list[MessageResult] = []
        while len(out) < want:
            got = self._take(want - len(out), 0)
            out.extend(got)
            left = deadline - loop.time()
            if self._stopped or left <= 0:
                break
            if not got:
                await self._wait_readable(loop, min(left, _SLICE))
        return out

    async def astart_consuming(self, topics: str | list[str], auto_process: bool = True) -> None:
        """The asyncio form of :meth:`start_consuming`; the handler may be a coroutine
        function. Cancelling the task stops the consumer and ends it normally, as in the
        released package."""
        if isinstance(topics, str):
            topics = [topics]
        self.subscribe(topics)
        try:
            async for message in self.amessage_stream():
                if auto_process and self.message_handler:
                    try:
                        res = self.message_handler(message)
                        if inspect.isawaitable(res):
                            await res
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        logger.exception("message_handler raised on %s[%d]@%d", message.topic, message.partition, message.offset)
        except asyncio.CancelledError:
            logger.info("cancelled: stopping the consumer")
        finally:
            self.stop()
