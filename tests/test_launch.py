"""Starting the TUI's parts in the order that shows live data soonest, safely: the feed
first, the UI's import beside it, the node gateway only once the first rows are drawn."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from types import SimpleNamespace

from tui_app import launch
from tui_app.config import load_config
from tui_app.devnet.node import Devnet, DevnetConfig

QUIET = DevnetConfig(grpc_port=0, rest_port=0, ws_port=0, block_time=Decimal("0.2"),
                     synthetic_traders=False)  # fmt: skip


class FakeApp:
    """What `_note_first_rows` reads of the app."""

    def __init__(self) -> None:
        self.is_running = False
        self.parts = SimpleNamespace(flush_interval=0.01)
        self.refreshes = 0

    async def wait_for_refresh(self) -> bool:
        self.refreshes += 1
        return True


async def test_the_gateway_signal_waits_for_the_snapshot_and_a_refresh():
    app, state = FakeApp(), SimpleNamespace(snapshot_received=False)
    done = asyncio.get_running_loop().create_future()
    watch = asyncio.create_task(launch._note_first_rows(app, state, done, at_most=5))
    await asyncio.sleep(0.1)
    app.is_running = True
    await asyncio.sleep(0.1)
    assert not done.done()  # drawn, but no account yet
    state.snapshot_received = True
    await asyncio.wait_for(done, 2)
    assert app.refreshes == 1
    await watch


async def test_the_gateway_signal_comes_anyway_when_no_snapshot_does():
    app, state = FakeApp(), SimpleNamespace(snapshot_received=False)
    app.is_running = True
    done = asyncio.get_running_loop().create_future()
    await launch._note_first_rows(app, state, done, at_most=0.1)
    assert done.done() and app.refreshes == 0


async def test_open_parts_starts_the_feed_first_and_holds_the_node_back(tmp_path):
    async with Devnet(QUIET) as devnet:
        e = devnet.endpoints
        config = load_config(environ={"DYDX_REST_URL": e.rest_url, "DYDX_WS_URL": e.ws_url,
                                      "DYDX_GRPC_ADDR": e.grpc})  # fmt: skip
        go = asyncio.get_running_loop().create_future()
        preloaded: list[str] = []

        async with launch.open_parts(
            config, tmp_path / "orders.sqlite3", background_gateway=True, gateway_after=go,
            start_feed=True, preload=lambda: preloaded.append("ui"),
        ) as parts:  # fmt: skip
            assert preloaded == ["ui"]  # done before the parts are handed out
            assert parts.feed._tasks  # started by open_parts, before any UI
            assert parts.controller is not None
            gateway = parts.controller.gateway
            await asyncio.sleep(0.3)
            assert not gateway._task.done()  # no import, no connection before the signal
            for _ in range(100):
                if parts.state.snapshot_received:
                    break
                await asyncio.sleep(0.05)
            assert parts.state.snapshot_received
            go.set_result(None)
            # Connected and the chain id checked, then the calls go through.
            assert await parts.controller.gateway.latest_block_height() > 0
            assert parts.feed.node_height is not None
        assert parts.feed._tasks == []  # stopped on the way out
