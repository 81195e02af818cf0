"""The status bar: connection state, block height and age, latency, messages per second.

Its CSS classes carry the state (`-live`, `-polling`, `-disconnected`, `-stale`) so the
stylesheet colours it; the words say the same, for NO_COLOR terminals and colour-blind
traders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from tui_app.feed.status import ConnectionStatus, WsState
from tui_app.widgets.format import duration

# No message for this long while "live" means the data is stale (blocks come every ~1 s,
# and the block height channel speaks on each one).
STALE_AFTER_SECONDS = 3.0

STATE_CLASSES = ("-live", "-polling", "-disconnected", "-stale", "-connecting")


@dataclass(frozen=True)
class StatusView:
    """What the bar shows, computed from the status and the clock (pure, testable)."""

    text: Text
    css_class: str


def describe(
    status: ConnectionStatus | None,
    now: datetime,
    monotonic: float,
    block_height: int | None,
    block_time: datetime | None,
    in_flight: int = 0,
) -> StatusView:
    text = Text()
    if status is None:
        text.append("○ NO FEED", style="bold")
        css = "-disconnected"
    else:
        age = status.message_age(monotonic)
        state = status.ws_state
        stale = age is not None and age > STALE_AFTER_SECONDS
        if state is WsState.LIVE and not stale:
            text.append("● LIVE", style="bold")
            css = "-live"
        elif state is WsState.LIVE:
            text.append(f"◌ STALE: no message for {duration(age or 0)}", style="bold")
            css = "-stale"
        elif state is WsState.POLLING:
            text.append("◐ POLLING REST (WebSocket down)", style="bold")
            css = "-stale" if stale else "-polling"
        elif state is WsState.CONNECTING:
            text.append("○ CONNECTING", style="bold")
            css = "-connecting"
        else:
            label = "DISCONNECTED" if state is WsState.STOPPED else status.state_label.upper()
            text.append(f"✕ {label}", style="bold")
            css = "-disconnected"
        if css not in ("-live", "-connecting") and age is not None:
            text.append(f" · data {duration(age)} old")
    height = status.block_height if status and status.block_height else block_height
    btime = status.block_time if status and status.block_time else block_time
    text.append("  │ ", style="dim")
    if height is None:
        text.append("block —")
    else:
        text.append(f"block {height:,}")
        if btime is not None:
            text.append(f" ({duration((now - btime).total_seconds())} ago)", style="dim")
    if status is not None:
        if status.round_trip_ms is not None:
            text.append("  │ ", style="dim")
            text.append(f"{status.round_trip_ms:.0f} ms")
        text.append("  │ ", style="dim")
        text.append(f"{status.messages_per_second:.1f} msg/s")
        if status.indexer_lag_blocks:
            text.append(f"  │ indexer {status.indexer_lag_blocks} blk behind", style="bold")
    if in_flight:
        text.append("  │ ", style="dim")
        text.append(f"⟳ {in_flight} action{'s' if in_flight > 1 else ''} in flight")
    if status is not None and status.last_error and css != "-live":
        text.append("  │ ", style="dim")  # last: the least needed, the first cut
        text.append(status.last_error[:80])
    return StatusView(text, css)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("", id="status-bar", markup=False)
        self._shown: Text | None = None

    def show(self, view: StatusView) -> None:
        # One line, the screen's width: a new text never changes the layout, and an
        # unchanged one (most ticks) need not be drawn again.
        if view.text != self._shown:
            self._shown = view.text
            self.update(view.text, layout=False)
        for name in STATE_CLASSES:
            self.set_class(name == view.css_class, name)
