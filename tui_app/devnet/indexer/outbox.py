"""A connection's outgoing messages, each sent after its own delay.

Injected latency and per-channel delays make messages due at different times; a heap
keeps them in due order (ties in arrival order), so a delayed channel is overtaken by the
others while each channel keeps its own order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable


class Outbox:
    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._heap: list[tuple[float, int, str]] = []
        self._counter = itertools.count()
        self._wake = asyncio.Event()

    def put(self, text: str, delay_seconds: float = 0.0) -> None:
        due = asyncio.get_running_loop().time() + delay_seconds
        heapq.heappush(self._heap, (due, next(self._counter), text))
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled or until the connection fails (the send raises)."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._heap:
                self._wake.clear()
                await self._wake.wait()
                continue
            due, _, text = self._heap[0]
            wait = due - loop.time()
            if wait > 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
                continue
            heapq.heappop(self._heap)
            await self._send(text)
