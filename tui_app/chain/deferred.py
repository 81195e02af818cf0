"""The node gateway, connecting in the background while the TUI shows its first frame.

Importing the gateway (dydx_v4_client, grpc, protobuf, bip_utils: 0.5-1.4 s here) and
connecting (key derivation, the chain-id check's round trip) used to come before the
first frame. `DeferredGateway.start` begins both in the background (the import in a
worker thread, so the event loop keeps running) and hands out a stand-in whose async
methods wait for the real gateway, then call it. `after` holds the start back until it
resolves (the launcher: the first rows are on screen), because the import, though in a
thread, takes the GIL from the loop that draws them. Nothing can be signed before the real
gateway has connected and verified the chain id: if connecting fails, every call raises
`GatewayUnavailable` with the reason (the rows stay as the controller leaves them on a
network error; nothing is sent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tui_app.chain.errors import NetworkError
from tui_app.feed.background_imports import import_off_loop

log = logging.getLogger(__name__)

class GatewayUnavailable(NetworkError):
    """The node gateway did not connect (wrong chain, bad key, node unreachable)."""


class DeferredGateway:
    def __init__(
        self, connect: Callable[[], Awaitable[Any]], after: Awaitable[object] | None = None
    ) -> None:
        self._connect = connect
        self._after = after
        self._task: asyncio.Task[Any] | None = None
        self.error: BaseException | None = None

    @classmethod
    def start(
        cls, connect: Callable[[], Awaitable[Any]], after: Awaitable[object] | None = None
    ) -> DeferredGateway:
        """Connect in the background, once `after` (if given) has resolved or failed."""
        deferred = cls(connect, after)
        deferred._task = asyncio.create_task(deferred._run(), name="node-gateway-connect")
        return deferred

    async def _run(self) -> Any:
        if self._after is not None:
            try:
                await self._after
            except Exception:  # only a moment to wait for: connect anyway
                log.debug("node gateway: the start signal failed; connecting", exc_info=True)
        # The import in a thread: done on the loop it would freeze the first frame.
        await import_off_loop("tui_app.chain.gateway")
        try:
            return await self._connect()
        except Exception as exc:
            self.error = exc
            log.warning("trading is off: the node gateway did not connect: %s", exc)
            raise

    async def ready(self) -> Any:
        """The connected gateway, or `GatewayUnavailable`."""
        assert self._task is not None, "DeferredGateway.start() makes the stand-in"
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if self._task.cancelled():
                raise GatewayUnavailable("the node gateway is closed") from None
            raise
        except Exception as exc:
            raise GatewayUnavailable(f"trading is off: {exc}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            gateway = await self.ready()
            return await getattr(gateway, name)(*args, **kwargs)

        call.__name__ = name
        return call

    async def close(self) -> None:
        task = self._task
        if task is None:
            return
        if not task.done():
            task.cancel()
        try:
            gateway = await task
        except BaseException:  # cancelled or failed: nothing to close
            return
        await gateway.close()
