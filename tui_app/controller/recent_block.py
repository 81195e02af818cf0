"""The node's latest block, asked once for orders placed in quick succession.

A short-term order's good-til-block is the latest height plus its life in blocks, so every
place used to ask the node for the latest block first: one more round trip per order. A
trader placing a ladder of orders pays it again and again for the same height. Here the
answer is reused for `max_age` seconds, at most a quarter of the block time seen in the
answers (~1 s on dYdX; devnets may be faster), and concurrent asks share one request.

The cost: if a block was committed since the answer, the order's good-til-block counts
from the block before, so it lives one block less than asked (still valid: the chain
accepts any good-til-block from the next height on). Cancels and expiry checks never use
a reused answer: they always ask.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_app.chain.gateway import BlockInfo

DEFAULT_MAX_AGE = 0.25  # seconds; a quarter of dYdX's ~1 s block time


class RecentBlock:
    """`get()`: a block the node named less than `max_age` seconds ago, or a fresh one."""

    def __init__(
        self,
        ask: Callable[[], Awaitable[BlockInfo]],
        *,
        max_age: float = DEFAULT_MAX_AGE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ask = ask
        self._max_age = max_age
        self._monotonic = monotonic
        self._block: BlockInfo | None = None
        self._asked_at = 0.0  # when the request that named _block was sent
        self._in_flight: asyncio.Future[BlockInfo] | None = None
        self._block_seconds: float | None = None  # block time seen in the answers
        self.requests = 0  # sent by get() (benchmarks report it)

    @property
    def max_age(self) -> float:
        if self._block_seconds is None:
            return self._max_age
        return min(self._max_age, self._block_seconds / 4)

    def remember(self, block: BlockInfo, asked_at: float) -> None:
        """An answer to a request sent at `asked_at` (any caller's: a cancel's too)."""
        # The highest height stays: a lagging node's lower answer tells nothing new.
        if self._block is None or block.height >= self._block.height:
            if self._block is not None and block.height > self._block.height:
                elapsed = (block.time - self._block.time).total_seconds()
                self._block_seconds = max(0.0, elapsed / (block.height - self._block.height))
            self._block = block
            self._asked_at = max(self._asked_at, asked_at)

    async def get(self) -> BlockInfo:
        now = self._monotonic()
        # Age counts from when the request was sent: the answer is at least that recent.
        if self._block is not None and now - self._asked_at < self.max_age:
            return self._block
        if self._in_flight is None:
            self._in_flight = asyncio.ensure_future(self._ask_now(now))
            # Read the outcome even when every caller gave up (no "never retrieved").
            self._in_flight.add_done_callback(lambda f: f.cancelled() or f.exception())
        # Shielded: one caller giving up must not cancel the others' shared request.
        return await asyncio.shield(self._in_flight)

    async def _ask_now(self, asked_at: float) -> BlockInfo:
        self.requests += 1
        try:
            block = await self._ask()
            self.remember(block, asked_at)
            return block
        finally:
            self._in_flight = None
