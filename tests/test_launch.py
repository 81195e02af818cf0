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

    def call_after_refresh(self, callback) -> bool:
        self.refreshes += 1
        asyncio.get_running_loop().call_soon(callback)
        return True


async def test_the_gateway_signal_waits_for_the_snapshot_and_a_refresh():
    app, feed = FakeApp(), SimpleNamespace(first_snapshot=asyncio.Event())
    done = asyncio.get_running_loop().create_future()
    watch = asyncio.create_task(launch._note_first_rows(app, feed, done, at_most=5))
    await asyncio.sleep(0.1)
    app.is_running = True
    await asyncio.sleep(0.1)
    assert not done.done()  # drawn, but no account yet
    feed.first_snapshot.set()
    await asyncio.wait_for(done, 2)
    assert app.refreshes == 1
    await watch


async def test_the_gateway_signal_comes_anyway_when_no_snapshot_does():
    app, feed = FakeApp(), SimpleNamespace(first_snapshot=asyncio.Event())
    app.is_running = True
    done = asyncio.get_running_loop().create_future()
    await launch._note_first_rows(app, feed, done, at_most=0.1)
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
            assert isinstance(parts.controller, launch.DeferredController)
            await asyncio.sleep(0.3)
            assert not parts.controller._task.done()  # not built before the signal
            await asyncio.wait_for(parts.feed.first_snapshot.wait(), 10)
            assert parts.state.snapshot_received
            go.set_result(None)
            controller = await parts.controller.ready()
            # Connected and the chain id checked, then the calls go through.
            assert await controller.gateway.latest_block_height() > 0
            assert await parts.feed.node_height() > 0
            summary = await parts.controller.reconcile()
            assert summary.still_unknown == 0
        assert parts.feed._tasks == []  # stopped on the way out


class FakeController:
    def __init__(self) -> None:
        self.on_retry = None
        self.indexer = SimpleNamespace(aclose=self.aclose)
        self.closed = False

    async def place(self, request):
        return ("placed", request)

    async def cancel_all(self, scope=None, on_progress=None):
        return ("cancelled all", scope, on_progress)

    async def aclose(self):
        self.closed = True


async def test_the_deferred_controller_builds_after_the_signal_and_passes_calls_on():
    go = asyncio.get_running_loop().create_future()
    built: list[FakeController] = []

    def build() -> FakeController:
        built.append(FakeController())
        return built[-1]

    controller = launch.DeferredController(build, store="the store", after=go)
    assert controller.store == "the store"  # the app reads it for order details at once
    hook = object()
    controller.on_retry = hook  # the app's retry notes attach before it is built
    call = asyncio.create_task(controller.place("an order"))
    await asyncio.sleep(0.05)
    assert not built and not call.done()
    go.set_result(None)
    assert await call == ("placed", "an order")
    assert built[0].on_retry is hook
    assert await controller.cancel_all("scope", on_progress=print) == (
        "cancelled all", "scope", print)
    later = object()
    controller.on_retry = later
    assert built[0].on_retry is later
    await controller.close()
    assert built[0].closed


async def test_closing_the_deferred_controller_before_the_signal_builds_nothing():
    built: list[FakeController] = []
    controller = launch.DeferredController(lambda: built.append(1),
                                           store=None, after=asyncio.Future())  # fmt: skip
    await asyncio.sleep(0)
    await controller.close()
    assert built == []


def test_the_cli_pauses_garbage_collection_only_while_it_runs(capsys):
    import gc

    from tui_app.cli import main

    assert gc.isenabled()
    assert main([]) == 2  # the TUI without a terminal: refused at once
    assert "needs a terminal" in capsys.readouterr().err
    assert gc.isenabled()  # as it found it


def test_resume_gc_turns_collection_back_on_with_start_up_frozen():
    import gc

    gc.disable()
    try:
        launch.resume_gc()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        launch.resume_gc()  # already on: nothing more is frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        gc.enable()
