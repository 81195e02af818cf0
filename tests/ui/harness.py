"""The deterministic UI harness: the demo parts of tui_app.tools.demo_parts (also used by
the screenshot script), plus helpers that only tests need."""

from __future__ import annotations

from typing import Any

from tui_app.app import DydxApp
from tui_app.tools.demo_parts import DemoController as FakeController
from tui_app.tools.demo_parts import DemoFeed as FakeFeed
from tui_app.tools.demo_parts import (
    live_status,
    local_config,
    play_live,
    read_only_config,
)
from tui_app.tools.demo_parts import make_demo_app as make_app

__all__ = [
    "FakeController", "FakeFeed", "live_status", "local_config", "make_app", "play_live",
    "read_only_config", "screen_text", "settle",
]


async def settle(app: DydxApp, pilot: Any) -> None:
    """Wait for the controller calls under way (not the feed, which runs forever)."""
    workers = [w for w in app.workers if w.group == "controller"]
    if workers:  # (an empty list would mean "every worker", the feed included)
        await app.workers.wait_for_complete(workers)
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
