"""The app's real parts, wired against a benchmark devnet: the controller (as
tui_app/launch.py builds it), the resolved config, the whole headless app, and the plain
dydx-v4-client NodeClient that the baselines use."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.devnet_process import DevnetProcess
from tui_app.chain.gateway import NodeGateway
from tui_app.controller.controller import OrderController
from tui_app.devnet.accounts import ALICE
from tui_app.store import OrderStore

# dydx_v4_client warns about its own LOCAL constant's URL when imported.
logging.getLogger("dydx_v4_client.network").setLevel(logging.ERROR)


@dataclass
class ControllerParts:
    """What `launch.open_parts` opened for trading, with its feed running."""

    controller: OrderController
    feed: Any  # IndexerFeed, live: the controller's `live` account state is current
    _stack: contextlib.AsyncExitStack

    @property
    def store(self) -> OrderStore:
        return self.controller.store

    @property
    def gateway(self) -> NodeGateway:
        return self.controller.gateway

    async def close(self) -> None:
        await self._stack.aclose()


async def open_controller(devnet: DevnetProcess, db: Path, **trading: Any) -> ControllerParts:
    """An OrderController trading as alice, wired exactly as `dydx-tui` wires it
    (`launch.open_parts`: store, node gateway, REST reader, and the live feed's account
    state as `live`), with the feed running and live before it is returned.

    `trading`: config `trading:` settings (short_term_blocks defaults to 20 here: the
    set-up places hundreds of orders that must outlive it). The cancel rate limit is the
    configured default (10/s, burst 20): cancel-all of 500 short-term orders is five batch
    transactions, well inside it."""
    from tui_app.launch import open_parts

    config = local_config(devnet, db.parent, db_path=db, short_term_blocks=20, **trading)
    stack = contextlib.AsyncExitStack()
    try:
        # The TUI also defers building the gateway and controller until its first frame
        # (launch.DeferredController); their calls then reach these same objects.
        parts = await stack.enter_async_context(open_parts(config, db, start_feed=True))
        if parts.controller is None:
            raise RuntimeError(f"no controller: {parts.trading_off_reason}")
        state = parts.state
        await _until(lambda: state.feed_live and state.snapshot_received
                     and not state.needs_resync, "the feed to be live")  # fmt: skip
        return ControllerParts(parts.controller, parts.feed, stack)
    except BaseException:
        await stack.aclose()
        raise


async def _until(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


def local_config(devnet: DevnetProcess, data_dir: Path, *, db_path: Path | None = None,
                 **trading: Any) -> Any:  # fmt: skip
    """The ResolvedConfig `dydx-tui` would build with DYDX_* pointing at this devnet
    (and these `trading:` settings in its config file)."""
    from tui_app.config import EnvOverrides, Settings, resolve_config

    e = devnet.endpoints
    env = EnvOverrides(rest_url=e.rest_url, ws_url=e.ws_url, grpc_addr=e.grpc)
    settings = Settings.model_validate({"trading": trading}) if trading else Settings()
    config = resolve_config(settings, cli_network="local", env=env)
    db = db_path or data_dir / "orders-local.sqlite3"
    paths = config.paths.model_copy(update={"db_path": db})
    return config.model_copy(update={"paths": paths})


@contextlib.asynccontextmanager
async def running_app(devnet: DevnetProcess, data_dir: Path, *, size: tuple[int, int] = (160, 50),
                      reconcile_at_start: bool = False) -> AsyncIterator[Any]:  # fmt: skip
    """The whole TUI, headless, wired exactly as `dydx-tui` wires it (launch.open_parts:
    real feed, store, gateway and controller), running on this loop. Yields the app.

    The garbage collector too is handled as `dydx-tui` handles it: paused while the app
    starts (tui_app.cli.main), then what start-up made is frozen and collection resumes
    once the first rows are drawn (launch._note_first_rows). Without that, a full
    collection walks this whole process's heap (~0.2 s here) now and then."""
    from tui_app.app import AppParts, build_app
    from tui_app.launch import _note_first_rows, open_parts

    config = local_config(devnet, data_dir)
    thresholds = gc.get_threshold()  # resume_gc makes full collections rare: restored below
    gc.disable()
    try:
        async with open_parts(config, data_dir / "orders-local.sqlite3") as parts:
            app = build_app(AppParts(
                config=config, state=parts.state, feed=parts.feed, controller=parts.controller,
                store_path=parts.store_path, trading_off_reason=parts.trading_off_reason,
                reconcile_at_start=reconcile_at_start,
            ))  # fmt: skip
            first_rows = asyncio.get_running_loop().create_future()
            watch = asyncio.create_task(_note_first_rows(app, parts.feed, first_rows))
            try:
                async with app.run_test(size=size) as pilot:
                    app.pilot = pilot  # for benchmarks that press keys
                    yield app
            finally:
                watch.cancel()
    finally:
        gc.unfreeze()  # the next benchmark starts from an ordinary heap
        gc.set_threshold(*thresholds)
        gc.enable()


# ----- the baseline: dydx-v4-client's NodeClient, as its README uses it ----------------------


class PlainClient:
    """`NodeClient.connect(network.node)` and a Wallet, used on a thread of its own with
    its own event loop: NodeClient's async methods make blocking gRPC calls."""

    def __init__(self, devnet: DevnetProcess) -> None:
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
