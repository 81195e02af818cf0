"""Snapshots of the main screen (sync tests: snap_compare cannot run inside async ones).

Deterministic: the demo state from captured samples, a fixed clock, fixed sizes, no
animations, and the live oracle moves replayed one flush each (the sparklines)."""

from __future__ import annotations

from tests.ui.harness import make_app, play_live, read_only_config
from tui_app.feed.status import WsState


async def _live(pilot) -> None:
    await play_live(pilot.app, pilot)
    # Toasts expire on wall-clock time: whether one is still up would depend on speed.
    pilot.app.clear_notifications()


def _then(*keys: str):
    async def run_before(pilot) -> None:
        await _live(pilot)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return run_before


def test_main_screen_80x24(snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_live)


def test_main_screen_160x48_side_by_side(snap_compare):
    assert snap_compare(make_app(), terminal_size=(160, 48), run_before=_live)


def test_positions_tab_80x24(snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_then("2"))


def test_disconnected_status(snap_compare):
    async def run_before(pilot) -> None:
        await _live(pilot)
        pilot.app.feed.publish(ws_state=WsState.RECONNECTING, reconnect_attempt=3,
                               last_error="connection refused", last_message_at=996.0)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_polling_status(snap_compare):
    async def run_before(pilot) -> None:
        await _live(pilot)
        pilot.app.feed.publish(ws_state=WsState.POLLING, last_message_at=998.5,
                               round_trip_ms=85.0, messages_per_second=0.5)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_read_only_testnet(snap_compare):
    app = make_app(config=read_only_config("testnet"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_live)
