"""The app's real parts, wired against a benchmark devnet: the controller (as
tui_app/launch.py builds it), the resolved config, the whole headless app, and the plain
dydx-v4-client NodeClient that the baselines use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from tui_app.chain.gateway import GatewayConfig, NodeGateway
from tui_app.controller.controller import OrderController
from tui_app.controller.indexer import RestIndexerReader
from tui_app.controller.markets import IndexerMarkets
from tui_app.controller.settings import ControllerSettings
from tui_app.devnet.accounts import ALICE
from tui_app.devnet.node import Devnet
from tui_app.feed.rest_poller import RestPoller
from tui_app.store import OrderStore

# dydx_v4_client warns about its own LOCAL constant's URL when imported.
logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)


@dataclass
class ControllerParts:
    store: OrderStore
    gateway: NodeGateway
    controller: OrderController

    async def close(self) -> None:
        await self.gateway.close()
        await self.store.close()


async def open_controller(devnet: Devnet, db: Path, **settings: Any) -> ControllerParts:
    """An OrderController trading as alice, built from the same parts launch.py uses.

    The cancel rate limit is the configured default (10/s, burst 20): cancel-all of 500
    short-term orders is five batch transactions, well inside it."""
    endpoints = devnet.endpoints
    store = await OrderStore.open(db)
    gateway = await NodeGateway.connect(
        GatewayConfig(endpoints.grpc, endpoints.chain_id, address=ALICE.address),
        SecretStr(ALICE.mnemonic),
    )
    reader = RestIndexerReader(RestPoller(endpoints.rest_url, ALICE.address, 0))
    values: dict[str, Any] = dict(owner=ALICE.address, short_term_blocks=20)
    values.update(settings)
    controller = OrderController(store=store, gateway=gateway, indexer=reader,
                                 markets=IndexerMarkets(reader),
                                 settings=ControllerSettings(**values))  # fmt: skip
    return ControllerParts(store, gateway, controller)


def local_config(devnet: Devnet, data_dir: Path) -> Any:
    """The ResolvedConfig `dydx-tui` would build with DYDX_* pointing at this devnet."""
    from tui_app.config import EnvOverrides, Settings, resolve_config

    e = devnet.endpoints
    env = EnvOverrides(rest_url=e.rest_url, ws_url=e.ws_url, grpc_addr=e.grpc)
    config = resolve_config(Settings(), cli_network="local", env=env)
    paths = config.paths.model_copy(update={"db_path": data_dir / "orders-local.sqlite3"})
    return config.model_copy(update={"paths": paths})


@contextlib.asynccontextmanager
async def running_app(devnet: Devnet, data_dir: Path, *, size: tuple[int, int] = (160, 50),
                      reconcile_at_start: bool = False) -> AsyncIterator[Any]:  # fmt: skip
    """The whole TUI, headless, wired exactly as `dydx-tui` wires it (launch.open_parts:
    real feed, store, gateway and controller), running on this loop. Yields the app."""
    from tui_app.app import AppParts, build_app
    from tui_app.launch import open_parts

    config = local_config(devnet, data_dir)
    async with open_parts(config, data_dir / "orders-local.sqlite3") as parts:
        app = build_app(AppParts(
            config=config, state=parts.state, feed=parts.feed, controller=parts.controller,
            store_path=parts.store_path, trading_off_reason=parts.trading_off_reason,
            reconcile_at_start=reconcile_at_start,
        ))  # fmt: skip
        async with app.run_test(size=size) as pilot:
            app.pilot = pilot  # for benchmarks that press keys
            yield app


# ----- the baseline: dydx-v4-client's NodeClient, as its README uses it ----------------------


class PlainClient:
    """`NodeClient.connect(network.node)` and a Wallet, used on a thread of its own with
    its own event loop: NodeClient's async methods make blocking gRPC calls."""

    def __init__(self, devnet: Devnet) -> None:
        self.devnet = devnet
        self.loop = asyncio.new_event_loop()
        self.node: Any = None
        self.wallet: Any = None

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def connect(self) -> None:
        from dydx_v4_client.network import make_local
        from dydx_v4_client.node.client import NodeClient
        from dydx_v4_client.wallet import Wallet

        e = self.devnet.endpoints
        network = make_local(node_url=e.grpc, rest_indexer=e.rest_url, websocket_indexer=e.ws_url)
        self.node = self.run(NodeClient.connect(network.node))
        self.wallet = self.run(Wallet.from_mnemonic(self.node, ALICE.mnemonic, ALICE.address))

    def close(self) -> None:
        if self.node is not None:
            with contextlib.suppress(Exception):
                self.node.channel.close()
        self.loop.close()
