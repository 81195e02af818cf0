"""Starting the TUI for real: devnet (local, when nothing answers), feed, store, node,
controller, then the app from `tui_app.app.build_app`.

Kept apart from the CLI's parsing and from the app: this module wires the real parts
together and closes them in reverse order on the way out. Textual is imported only inside
`run_tui`, so importing this module loads no UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class LiveParts:
    """What `open_parts` opened; everything here is closed when its context ends."""

    config: Any  # ResolvedConfig
    state: Any  # AccountState
    feed: Any  # IndexerFeed
    controller: Any = None  # OrderController, None when trading is off
    store_path: Path | None = None
    trading_off_reason: str | None = None


@contextlib.asynccontextmanager
async def open_parts(
    config: Any, db: Path | None = None, *, background_gateway: bool = False
) -> AsyncIterator[LiveParts]:
    """Open the feed and, when the account can sign, the store, node and controller.

    `background_gateway`: do not wait for the node gateway (its import and connection
    take a second or more); the controller gets a `DeferredGateway` whose calls wait for
    it, so the first frame shows sooner. A node that turns out unusable (wrong chain,
    unreachable) then fails each trading call with the reason instead of turning
    trading off up front."""
    from tui_app.feed.feed import IndexerFeed
    from tui_app.state import AccountState

    # dydx_v4_client warns about its own LOCAL constant's URL when imported.
    logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)
    state = AccountState(config.address, config.subaccount_number)
    parts = LiveParts(config=config, state=state, feed=None)
    async with contextlib.AsyncExitStack() as stack:
        gateway = None
        if config.read_only:
            parts.trading_off_reason = config.credentials.reason or "read-only"
        else:
            try:
                parts.store_path = db or config.paths.db_path
                store = await _open_store(parts.store_path)
                stack.push_async_callback(store.close)
                if background_gateway:
                    from tui_app.chain.deferred import DeferredGateway

                    gateway = DeferredGateway.start(lambda: _connect(config))
                else:
                    gateway = await _connect(config)
                stack.push_async_callback(gateway.close)
                parts.controller = _controller(config, store, gateway, state)
                stack.push_async_callback(parts.controller.indexer.aclose)
            except Exception as exc:  # the UI still shows the account; trading is off
                log.warning("trading is off: %s", exc)
                parts.trading_off_reason = f"trading is off: {exc}"
        node_height = gateway.latest_block_height if gateway is not None else None
        parts.feed = IndexerFeed.from_config(config, state, node_height=node_height)
        stack.push_async_callback(parts.feed.poller.aclose)  # in case the app never stops it
        yield parts


async def _open_store(path: Path) -> Any:
    from tui_app.store import OrderStore

    return await OrderStore.open(path)


async def _connect(config: Any) -> Any:
    from tui_app.chain.gateway import GatewayConfig, NodeGateway

    gateway_config = GatewayConfig(
        target=config.endpoints.grpc_addr,
        chain_id=config.chain_id,
        secure=config.tls,
        address=config.address,
        call_timeout=config.settings.trading.node_timeout_seconds,
    )
    # verify_chain_id: the node's chain must be the chosen network's before any signing.
    return await NodeGateway.connect(
        gateway_config, config.credentials.mnemonic, verify_chain_id=True
    )


def _controller(config: Any, store: Any, gateway: Any, state: Any) -> Any:
    from tui_app.controller.controller import OrderController
    from tui_app.controller.indexer import RestIndexerReader
    from tui_app.controller.markets import IndexerMarkets
    from tui_app.controller.settings import ControllerSettings
    from tui_app.feed.rest_poller import RestPoller

    feed_settings = config.settings.feed
    reader = RestIndexerReader(RestPoller(
        config.endpoints.rest_url, config.address, config.subaccount_number,
        timeout=feed_settings.rest_timeout_seconds, max_retries=feed_settings.rest_max_retries,
    ))
    return OrderController(
        store=store, gateway=gateway, indexer=reader, markets=IndexerMarkets(reader),
        settings=ControllerSettings.from_config(config), live=state,
    )


def run_tui(config: Any, db: str | None = None) -> int:
    """Run the TUI until the trader quits; returns the process exit code."""
    from tui_app.feed.embedded import embedded_devnet

    if config.is_mainnet and not confirm_mainnet(config):
        return 1
    store_path = Path(db).expanduser() if db else None
    # On `local` with nothing answering, a devnet runs in-process; its endpoints may be
    # free ports rather than the configured ones, so use the config it hands back.
    with embedded_devnet(config) as local:
        return asyncio.run(_run_app(local.config, store_path))


def confirm_mainnet(config: Any) -> bool:
    """The typed confirmation, before the store, the node or the indexer is touched."""
    from tui_app.screens.mainnet import MainnetGateApp

    confirmed = MainnetGateApp(address=config.address, read_only=config.read_only).run()
    log.info("mainnet confirmation: %s", "typed" if confirmed else "refused")
    return bool(confirmed)


async def _run_app(config: Any, db: Path | None) -> int:
    from tui_app.app import AppParts, build_app

    async with open_parts(config, db, background_gateway=True) as parts:
        app = build_app(AppParts(
            config=config, state=parts.state, feed=parts.feed, controller=parts.controller,
            store_path=parts.store_path, trading_off_reason=parts.trading_off_reason,
            mainnet_confirmed=config.is_mainnet,
        ))
        await app.run_async()
        # A crashed Textual app would exit 0 unless we pass its code on.
        return app.return_code or 0
