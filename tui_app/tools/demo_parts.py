"""Parts for a deterministic app: a replaying feed, a recording controller, fixed clock.

Shared by the UI tests and `screenshots/make_screenshots.py`, so the screenshots show
exactly what the snapshot tests check. The feed does to the app what the real IndexerFeed
does: it applies indexer frames to the AccountState and publishes ConnectionStatus.
Textual is imported only inside `make_demo_app` (this module stays importable without UI).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from tui_app.app import DydxApp

MONOTONIC_START = 1000.0


def local_config(**settings: Any) -> ResolvedConfig:
    """The `local` network with the devnet's demo account; reads no file or environment."""
    return resolve_config(Settings(**settings), cli_network="local", env=EnvOverrides())


def read_only_config(network: str = "testnet") -> ResolvedConfig:
    """An address and no mnemonic: the app watches the account read-only."""
    settings = Settings(network=network, account=AccountSettings(address=demo.ADDRESS))
    return resolve_config(settings, cli_network=network, env=EnvOverrides())


def live_status(**changes: Any) -> ConnectionStatus:
    base = ConnectionStatus(
        network="local", chain_id="localdydxprotocol", ws_state=WsState.LIVE,
        last_message_at=MONOTONIC_START - 0.4, messages_per_second=42.0,
        block_height=demo.HEIGHT, block_time=demo.BLOCK_TIME, round_trip_ms=12.0,
    )
    return base.with_changes(**changes)


class DemoFeed:
    """Applies frames to the state and publishes statuses when told to."""

    def __init__(self, state: AccountState, frames: demo.Frames,
                 status: ConnectionStatus | None = None) -> None:
        self.state = state
        self.status = status or live_status()
        self.frames = frames  # the connection's numbering continues from the snapshots
        self._listeners: list[Callable[[ConnectionStatus], Any]] = []

    async def run(self) -> None:
        await asyncio.Event().wait()  # until cancelled, like the real feed

    def on_status(self, listener: Callable[[ConnectionStatus], Any]) -> Callable[[], None]:
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
        if isinstance(message, MessageRejected):
            raise ValueError(f"frame rejected: {message.reason}: {message.detail}")
        self.state.apply(message)


@dataclass
class DemoController:
    """Records every call and answers with canned outcomes; `gate` holds calls back."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    cancel_result: CancelResult = CancelResult.BEST_EFFORT
    gate: asyncio.Event | None = None

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

    async def cancel_all(self, scope: CancelScope, on_progress: Any = None) -> CancelAllReport:
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


def make_demo_app(
    *,
    config: ResolvedConfig | None = None,
    state: AccountState | None = None,
    status: ConnectionStatus | None = None,
    controller: Any = None,
    with_controller: bool = True,
    reconcile: bool = False,
) -> DydxApp:
    """The demo account in an app built by the one factory, with a fixed clock."""
    from tui_app.app import AppParts, build_app

    frames = demo.Frames()
    state = demo.demo_state(frames) if state is None else state
    if controller is None and with_controller:
        controller = DemoController()
    parts = AppParts(
        config=config or local_config(),
        state=state,
        feed=DemoFeed(state, frames, status),
        controller=controller,
        clock=FixedClock(demo.NOW, monotonic=MONOTONIC_START),
        reconcile_at_start=reconcile,
        deterministic=True,
    )
    return build_app(parts)


async def play_live(app: DydxApp, pilot: Any, rounds: int = 12) -> None:
    """The demo's live frames (oracle moves), one flush each, as a running feed would."""
    feed = app.feed
    assert isinstance(feed, DemoFeed)
    for raw in demo.live_frames(feed.frames, rounds):
        feed.apply(raw)
        app.flush_changes()
        await pilot.pause()
