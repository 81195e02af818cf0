"""Starting the TUI for real: the mainnet gate, the devnet (local, when nothing answers),
then the feed, store, node and controller, and the app from `tui_app.app.build_app`.

Kept apart from the CLI's parsing and from the app: this module wires the real parts
together and closes them in reverse order on the way out. Textual is imported only inside
`run_tui`, so importing this module loads no UI.

The order is for the first live frame (benchmarks: `start`), which is all CPU: the feed
connects first, so that its snapshots arrive while Textual is imported in a worker thread;
the node gateway and the order controller (grpc, bip_utils, protobuf, httpx: most of a
second of imports) are stand-ins until the first rows are drawn, their calls waiting for
the real ones; nothing is signed before the node's chain id is checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_app.gc_schedule import make_full_collections_rare

log = logging.getLogger(__name__)

# The node gateway waits for the first rows on screen at most this long (seconds).
FIRST_ROWS_WAIT = 3.0


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
    config: Any,
    db: Path | None = None,
    *,
    background_gateway: bool = False,
    gateway_after: Awaitable[object] | None = None,
    start_feed: bool = False,
    preload: Callable[[], object] | None = None,
) -> AsyncIterator[LiveParts]:
    """Open the feed and, when the account can sign, the store, node and controller.

    `background_gateway`: do not wait for the node gateway (its import and connection
    take a second or more); the controller gets a `DeferredGateway` whose calls wait for
    it, so the first frame shows sooner. It connects once `gateway_after` resolves. A node
    that turns out unusable (wrong chain, unreachable) then fails each trading call with
    the reason instead of turning trading off up front.

    `start_feed`: start the feed at once (the TUI: its WebSocket connects and the
    snapshots arrive while the rest opens); it is stopped when the context ends.
    `preload`: run in a worker thread meanwhile (the TUI imports its UI there), and waited
    for before the parts are handed out.

    With `background_gateway` and `gateway_after`, the controller too is a stand-in
    (`DeferredController`) built once `gateway_after` resolves: its modules (protobuf,
    httpx) are not needed for the first frame, and its calls would wait for the gateway
    anyway."""
    from tui_app.feed.feed import IndexerFeed
    from tui_app.state import AccountState

    # dydx_v4_client warns about its own LOCAL constant's URL when imported.
    logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)
    state = AccountState(config.address, config.subaccount_number)
    parts = LiveParts(config=config, state=state, feed=IndexerFeed.from_config(config, state))
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(parts.feed.poller.aclose)  # in case the app never stops it
        if start_feed:
            await parts.feed.start()
            stack.push_async_callback(parts.feed.stop)
        preloading = asyncio.create_task(asyncio.to_thread(preload)) if preload else None
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

                    gateway = DeferredGateway.start(lambda: _connect(config), after=gateway_after)
                else:
                    gateway = await _connect(config)
                stack.push_async_callback(gateway.close)
                if background_gateway and gateway_after is not None:
                    parts.controller = DeferredController(
                        lambda: _controller(config, store, gateway, state), store, gateway_after
                    )
                    stack.push_async_callback(parts.controller.close)
                else:
                    parts.controller = _controller(config, store, gateway, state)
                    stack.push_async_callback(parts.controller.indexer.aclose)
            except Exception as exc:  # the UI still shows the account; trading is off
                log.warning("trading is off: %s", exc)
                parts.trading_off_reason = f"trading is off: {exc}"
        if preloading is not None:
            await preloading  # raises what the import raised
        if gateway is not None:
            parts.feed.node_height = gateway.latest_block_height
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

    if config.is_mainnet:
        resume_gc()  # the gate may wait long for its word
        if not confirm_mainnet(config):
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
    """Only after the mainnet gate (`run_tui`): the feed connects here, before the UI.

    The order is for the first live frame: the feed starts first, so its WebSocket
    handshake and snapshots overlap the UI's import (in a thread) and the store's opening;
    the node gateway (the slowest import) waits until the first rows are on screen."""
    first_rows: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with open_parts(
        config, db, background_gateway=True, gateway_after=first_rows, start_feed=True,
        preload=_import_ui,
    ) as parts:  # fmt: skip
        from tui_app.app import AppParts, build_app

        app = build_app(AppParts(
            config=config, state=parts.state, feed=parts.feed, controller=parts.controller,
            store_path=parts.store_path, trading_off_reason=parts.trading_off_reason,
            mainnet_confirmed=config.is_mainnet,
        ))
        watch = asyncio.create_task(_note_first_rows(app, parts.feed, first_rows))
        try:
            await app.run_async()
        finally:
            watch.cancel()
        # A crashed Textual app would exit 0 unless we pass its code on.
        return app.return_code or 0


def _import_ui() -> None:
    """The UI's modules (Textual alone is ~0.2 s): in a worker thread, not on the loop."""
    import tui_app.app  # noqa: F401


# The controller's modules and the REST client (protobuf, httpx: ~0.15 s of imports).
CONTROLLER_MODULES = ("dydx_v4_client.indexer.rest.indexer_client",
                      "tui_app.controller.controller", "tui_app.controller.indexer",
                      "tui_app.controller.markets")  # fmt: skip


class DeferredController:
    """The order controller, built (its modules imported in a worker thread) once `after`
    resolves; its calls wait for it. The app reads `store` and sets `on_retry` before."""

    def __init__(self, build: Callable[[], Any], store: Any, after: Awaitable[object]) -> None:
        self.store = store
        self._on_retry: Any = None
        self._build = build
        self._built: Any = None
        self._task = asyncio.create_task(self._run(after), name="controller-build")

    async def _run(self, after: Awaitable[object]) -> Any:
        try:
            await after
        except Exception:  # only a moment to wait for: build anyway
            log.debug("controller: the start signal failed; building", exc_info=True)
        from tui_app.feed.background_imports import import_off_loop

        await import_off_loop(*CONTROLLER_MODULES)
        controller = self._build()
        controller.on_retry = self._on_retry
        self._built = controller
        return controller

    @property
    def on_retry(self) -> Any:
        return self._on_retry

    @on_retry.setter
    def on_retry(self, hook: Any) -> None:
        self._on_retry = hook
        if self._built is not None:
            self._built.on_retry = hook

    async def ready(self) -> Any:
        """The real OrderController."""
        return await asyncio.shield(self._task)

    async def place(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self.ready()).place(*args, **kwargs)

    async def cancel(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self.ready()).cancel(*args, **kwargs)

    async def cancel_all(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self.ready()).cancel_all(*args, **kwargs)

    async def close_position(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self.ready()).close_position(*args, **kwargs)

    async def reconcile(self) -> Any:
        return await (await self.ready()).reconcile()

    async def close(self) -> None:
        """Stop building, or close what the built controller opened (its REST client)."""
        if not self._task.done():
            self._task.cancel()
        try:
            controller = await self._task
        except BaseException:  # cancelled or failed: nothing to close
            return
        await controller.indexer.aclose()


async def _note_first_rows(
    app: Any, feed: Any, done: asyncio.Future[None], at_most: float = FIRST_ROWS_WAIT
) -> None:
    """Resolve `done` once the account's first snapshot is drawn, or after `at_most` s."""
    try:
        async with asyncio.timeout(at_most):
            await feed.first_snapshot.wait()
            while not app.is_running:  # noqa: ASYNC110 (Textual has no event for it)
                await asyncio.sleep(0.02)
            await asyncio.sleep(app.parts.flush_interval)  # the flush that posts the rows
            drawn = asyncio.Event()
            app.call_after_refresh(drawn.set)  # after the messages queued so far are shown
            await drawn.wait()
    except TimeoutError:
        log.info("no account snapshot on screen after %.1f s; connecting the node", at_most)
    except Exception:  # the signal must come: trading waits for the gateway behind it
        log.exception("watching for the first rows failed; connecting the node")
    resume_gc()
    if not done.done():
        done.set_result(None)


def resume_gc() -> None:
    """Collect garbage again (`tui_app.cli.main` pauses it while the TUI starts).

    What start-up made (modules, classes, the UI) lives as long as the app: frozen, it is
    left out of every later collection, whose pauses would otherwise stall the UI."""
    if not gc.isenabled():
        gc.freeze()
        make_full_collections_rare()  # the app runs them at quiet moments (gc_schedule)
        gc.enable()
