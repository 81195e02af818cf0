"""SendPermit: a transaction built and signed ahead, broadcast only when the caller says so.

Write first, then send: the order's row must be committed before its transaction leaves.
The commit (an fsync on the store's thread) and the signing (on a gateway worker thread)
need not wait for each other, though: the caller hands a permit with the order, commits,
then `grant()`s it; the worker signs meanwhile and broadcasts only once granted.
`refuse()` (the commit failed) drops the transaction unsent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from tui_app.chain.errors import GatewayError


class NotSent(GatewayError):
    """The permit was refused: the transaction was built, never broadcast."""

    def __init__(self) -> None:
        super().__init__("not sent: the caller withdrew its permit")


class SendPermit:
    def __init__(self) -> None:
        # A concurrent future: granted on the caller's loop, awaited on a worker's.
        self._decision: concurrent.futures.Future[bool] = concurrent.futures.Future()

    def grant(self) -> None:
        if not self._decision.done():
            self._decision.set_result(True)

    def refuse(self) -> None:
        if not self._decision.done():
            self._decision.set_result(False)

    async def wait(self) -> None:
        """On the worker's loop: return once granted; `NotSent` if refused."""
        if not await asyncio.wrap_future(self._decision):
            raise NotSent()
