"""A deterministic harness for the UI: the demo state, a fake feed, a fake controller and
a fixed clock, all put together by the app's one factory (`build_app`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui_app.app import AppParts, DydxApp, build_app
from tui_app.clock import FixedClock
from tui_app.config import AccountSettings, EnvOverrides, ResolvedConfig, Settings, resolve_config
from tui_app.controller.requests import (
    CancelAllReport,
    CancelOutcome,
    CancelResult,
    CancelScope,
    PlaceOutcome,
    PlaceRequest,
    ReconcileSummary,
)
from tui_app.feed.status import ConnectionStatus, WsState
from tui_app.models import MessageRejected, parse_message
from tui_app.state import AccountState
from tui_app.tools import demo_scenario as demo


def local_config(**settings: Any) -> ResolvedConfig:
    return resolve_config(Settings(**settings), cli_network="local", env=EnvOverrides())


def read_only_config(network: str = "testnet") -> ResolvedConfig:
    settings = Settings(network=network, account=AccountSettings(address=demo.ADDRESS))
    return resolve_config(settings, cli_network=network, env=EnvOverrides())


def live_status(**changes: Any) -> ConnectionStatus:
    base = ConnectionStatus(
        network="local", chain_id="localdydxprotocol", ws_state=WsState.LIVE,
        last_message_at=999.6, messages_per_second=42.0, block_height=demo.HEIGHT,
        block_time=demo.BLOCK_TIME, round_trip_ms=12.0,
    )
    return base.with_changes(**changes)


class FakeFeed:
    """Does what the real feed does to the app: applies indexer frames to the state and
    publishes connection statuses. Tests drive it by hand."""

    def __init__(self, state: AccountState, frames: demo.Frames,
                 status: ConnectionStatus | None = None) -> None:
        self.state = state
        self.status = status or live_status()
        self.frames = frames  # the connection's numbering continues from the snapshots
        self._listeners: list[Callable[[ConnectionStatus], None]] = []
        self.running = asyncio.Event()

    async def run(self) -> None:
        self.running.set()
        await asyncio.Event().wait()  # until cancelled, like the real feed

    def on_status(self, listener: Callable[[ConnectionStatus], None]):
        self._listeners.append(listener)
        listener(self.status)
        return lambda: self._listeners.remove(listener)

    def publish(self, **changes: Any) -> None:
        self.status = self.status.with_changes(**changes)
        for listener in list(self._listeners):
            listener(self.status)

    def apply(self, frame: dict[str, Any] | str) -> None:
        """Apply one frame: a dict is stamped with the next message id first."""
        raw = frame if isinstance(frame, str) else self.frames.stamp(frame)
        message = parse_message(raw)
        assert not isinstance(message, MessageRejected), message
        self.state.apply(message)


@dataclass
class FakeController:
    """Records every call; answers with canned outcomes."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    cancel_result: CancelResult = CancelResult.BEST_EFFORT
    gate: asyncio.Event | None = None  # set: calls wait for it (an action "in flight")

    async def _wait(self) -> None:
        if self.gate is not None:
            await self.gate.wait()

    async def place(self, request: PlaceRequest) -> PlaceOutcome:
        self.calls.append(("place", request))
        await self._wait()
        return PlaceOutcome("new-order", "active", "ABCD", "order placed")

    async def cancel(self, order_id: str) -> CancelOutcome:
        self.calls.append(("cancel", order_id))
        await self._wait()
        return CancelOutcome(order_id, "ETH-USD", self.cancel_result, "cancel accepted",
                             blocks_left=12)

    async def cancel_all(self, scope: CancelScope, on_progress=None) -> CancelAllReport:
        self.calls.append(("cancel_all", scope))
        await self._wait()
        return CancelAllReport(())

    async def close_position(self, market: str) -> PlaceOutcome:
        self.calls.append(("close_position", market))
        await self._wait()
        return PlaceOutcome("close", "active", None, f"closing {market}")

    async def reconcile(self) -> ReconcileSummary:
        self.calls.append(("reconcile", None))
        return ReconcileSummary(open_on_indexer=6, settled=1, placed_elsewhere=0)


def make_app(
    *,
    config: ResolvedConfig | None = None,
    state: AccountState | None = None,
    status: ConnectionStatus | None = None,
    controller: FakeController | None = None,
    with_controller: bool = True,
    reconcile: bool = False,
) -> DydxApp:
    frames = demo.Frames()
    state = demo.demo_state(frames) if state is None else state
    feed = FakeFeed(state, frames, status)
    if controller is None and with_controller:
        controller = FakeController()
    parts = AppParts(
        config=config or local_config(),
        state=state,
        feed=feed,
        controller=controller,
        clock=FixedClock(demo.NOW, monotonic=1000.0),
        reconcile_at_start=reconcile,
        deterministic=True,
    )
    return build_app(parts)


async def play_live(app: DydxApp, pilot: Any, rounds: int = 12) -> None:
    """The demo's live frames (oracle moves), one flush each, as a running feed would."""
    feed = app.feed
    assert isinstance(feed, FakeFeed)
    for raw in demo.live_frames(feed.frames, rounds):
        feed.apply(raw)
        app.flush_changes()
        await pilot.pause()


def screen_text(app: DydxApp) -> str:
    """The screen as plain text (what export_screenshot draws, without the SVG)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


async def settle(app: DydxApp, pilot: Any) -> None:
    """Wait for the controller calls under way (not the feed, which runs forever)."""
    workers = [w for w in app.workers if w.group == "controller"]
    if workers:  # (an empty list would mean "every worker", the feed included)
        await app.workers.wait_for_complete(workers)
    await pilot.pause()
