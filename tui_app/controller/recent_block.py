"""The latest block for a place, without a round trip when one can be spared.

A short-term order's good-til-block is the latest height plus its life in blocks, so every
place used to ask the node for the latest block first: one more round trip per order
(~1-2 ms on loopback, a whole network round trip on a distant node). Two sources spare it:

- the node's own answer, reused for `max_age` seconds (at most a quarter of the block
  time seen in the answers: ~1 s on dYdX; devnets may be faster), so a ladder of orders
  shares one request; concurrent asks share one request too;
- the height the indexer pushes on `v4_block_height` (the live feed hears every block),
  while it is fresh (heard less than two block times ago) and trusted: the node's latest
  answer put the indexer at most MAX_PUSHED_LAG blocks behind it, less than TRUST_SECONDS
  ago. Every node answer (a cancel's too) checks it anew; a place the chain refuses for a
  good-til-block in the past withdraws the trust until the node is asked again.

The cost: the order's good-til-block may count from a block or a few before the node's
latest, so it lives that much less than asked (still valid: the chain accepts any
good-til-block from the next height on, and a short-term order asks for 10 or more).
Cancels and expiry checks never use these: they always ask the node.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tui_app.chain.gateway import BlockInfo

DEFAULT_MAX_AGE = 0.25  # seconds; a quarter of dYdX's ~1 s block time
MAX_PUSHED_LAG = 2  # blocks the indexer may trail the node and still be trusted
TRUST_SECONDS = 30.0  # how long one comparison with the node vouches for the indexer
PUSHED_MAX_AGE = 2.0  # seconds since the indexer's last new block (~2 dYdX blocks)


class PushedBlock(NamedTuple):
    """The indexer's latest block as the live feed heard it."""

    block: BlockInfo
    heard_at: float  # time.monotonic() when the feed heard this height


class RecentBlock:
    """`get()`: a block recent enough to count a good-til-block from, or a fresh one."""

    def __init__(
        self,
        ask: Callable[[], Awaitable[BlockInfo]],
        *,
        max_age: float = DEFAULT_MAX_AGE,
        pushed: Callable[[], PushedBlock | None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`max_age` 0: always ask the node (pushed heights are not used either)."""
        self._ask = ask
        self._max_age = max_age
        self._pushed = pushed if max_age > 0 else None
        self._monotonic = monotonic
        self._block: BlockInfo | None = None
        self._asked_at = 0.0  # when the request that named _block was sent
        self._in_flight: asyncio.Future[BlockInfo] | None = None
        self._block_seconds: float | None = None  # block time seen in the answers
        self._trusted_until = 0.0  # pushed heights are used until then
        self._last_pushed: BlockInfo | None = None  # (to learn the block time from)
        self.requests = 0  # sent by get() (benchmarks report it)
        self.pushed_used = 0  # places that took the indexer's height (benchmarks report it)

    @property
    def max_age(self) -> float:
        if self._block_seconds is None:
            return self._max_age
        return min(self._max_age, self._block_seconds / 4)

    @property
    def pushed_max_age(self) -> float:
        if self._block_seconds is None:
            return PUSHED_MAX_AGE
        return min(PUSHED_MAX_AGE, 2 * self._block_seconds)

    def remember(self, block: BlockInfo, asked_at: float) -> None:
        """An answer to a request sent at `asked_at` (any caller's: a cancel's too)."""
        # The highest height stays: a lagging node's lower answer tells nothing new.
        if self._block is None or block.height >= self._block.height:
            self._learn_block_seconds(self._block, block)
            self._block = block
            self._asked_at = max(self._asked_at, asked_at)
        self._check_pushed_against(block)

    def distrust(self) -> None:
        """A good-til-block turned out to be in the past: ask the node next time."""
        self._block = None
        self._trusted_until = 0.0

    async def get(self) -> BlockInfo:
        now = self._monotonic()
        # Age counts from when the request was sent: the answer is at least that recent.
        answered = self._block if now - self._asked_at < self.max_age else None
        pushed = self._trusted_pushed(now)
        if pushed is not None and (answered is None or pushed.height > answered.height):
            self.pushed_used += 1
            return pushed
        if answered is not None:
            return answered
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

    def _fresh_pushed(self, now: float) -> BlockInfo | None:
        heard = self._pushed() if self._pushed is not None else None
        if heard is None:
            return None
        self._learn_block_seconds(self._last_pushed, heard.block)
        self._last_pushed = heard.block
        if now - heard.heard_at >= self.pushed_max_age:
            return None
        return heard.block

    def _learn_block_seconds(self, before: BlockInfo | None, after: BlockInfo) -> None:
        if before is None or after.height <= before.height:
            return
        elapsed = (after.time - before.time).total_seconds()
        if elapsed > 0:  # (a block time not sent, or clocks that disagree: no news)
            self._block_seconds = elapsed / (after.height - before.height)

    def _trusted_pushed(self, now: float) -> BlockInfo | None:
        if now >= self._trusted_until:
            return None
        return self._fresh_pushed(now)

    def _check_pushed_against(self, answer: BlockInfo) -> None:
        now = self._monotonic()
        pushed = self._fresh_pushed(now)
        if pushed is not None and answer.height - pushed.height <= MAX_PUSHED_LAG:
            self._trusted_until = now + TRUST_SECONDS
        else:
            self._trusted_until = 0.0
