"""The devnet's indexer: dYdX's indexer WebSocket and REST APIs, fed by the devnet chain.

    indexer = Indexer(chain, faults, rest_port=0, ws_port=0, admin_port=0)
    ports = await indexer.start()   # {"rest": ..., "ws": ..., "admin": ...}
    ...
    await indexer.stop()

Runs on the devnet's own event loop (the chain's); nothing here is thread-safe.
See README.md beside this file for the endpoints and the fault-injection admin API.
"""

from __future__ import annotations

from typing import Any

from tui_app.devnet.faults import Faults

from .admin import AdminServer
from .ratelimit import RateLimit
from .rest import RestServer
from .store import IndexerStore
from .ws import WsConfig, WsServer

__all__ = ["Indexer", "IndexerStore", "RateLimit", "WsConfig"]


class Indexer:
    def __init__(
        self,
        chain: Any,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        rest_port: int = 3002,
        ws_port: int = 3003,
        admin_port: int | None = None,
        rate_limit: RateLimit | None = None,
        ws_config: WsConfig | None = None,
        pnl_interval_seconds: int = 3600,
    ) -> None:
        self.faults = faults if faults is not None else Faults()
        self.host = host
        self.ports = {"rest": rest_port, "ws": ws_port, "admin": admin_port}
        self.store = IndexerStore(chain, pnl_interval_seconds=pnl_interval_seconds)
        self.rest = RestServer(self.store, self.faults, rate_limit or RateLimit())
        self.ws = WsServer(self.store, self.faults, ws_config)
        self.admin = AdminServer(self) if admin_port is not None else None

    async def start(self) -> dict[str, int]:
        """Bind every server (port 0 picks a free port); returns the bound ports."""
        self.store.start()
        bound = {
            "rest": await self.rest.start(self.host, self.ports["rest"]),
            "ws": await self.ws.start(self.host, self.ports["ws"]),
        }
        if self.admin is not None:
            # Loopback only, whatever `host` is: the admin API changes the devnet's behaviour.
            bound["admin"] = await self.admin.start("127.0.0.1", self.ports["admin"])
        return bound

    async def stop(self) -> None:
        if self.admin is not None:
            await self.admin.stop()
        await self.ws.stop()
        await self.rest.stop()
        self.store.close()

    # ---- faults that are actions rather than switches -----------------------------------

    def drop_ws_connections(self) -> int:
        return self.ws.drop_all()
