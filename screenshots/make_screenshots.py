"""Render the main views as SVG into screenshots/, from the deterministic demo state.

    .venv/bin/python screenshots/make_screenshots.py

The same parts as the snapshot tests (tui_app.tools.demo_parts): the demo account built
from captured indexer samples, a fixed clock, fixed terminal sizes. Running it twice gives
the same files.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_app.feed.status import WsState  # noqa: E402
from tui_app.tools.demo_parts import make_demo_app, play_live, read_only_config  # noqa: E402

OUT = Path(__file__).resolve().parent

Step = Callable[[Any, Any], Awaitable[None]]


def keys(*names: str) -> Step:
    async def step(app: Any, pilot: Any) -> None:
        await pilot.press(*names)

    return step


async def disconnect(app: Any, pilot: Any) -> None:
    app.feed.publish(ws_state=WsState.RECONNECTING, reconnect_attempt=3,
                     last_error="connection refused", last_message_at=996.0)


async def polling(app: Any, pilot: Any) -> None:
    app.feed.publish(ws_state=WsState.POLLING, last_message_at=998.5, round_trip_ms=85.0,
                     messages_per_second=0.5)


# name, title, size, app options, steps after the live frames
VIEWS: list[tuple[str, str, tuple[int, int], dict[str, Any], list[Step]]] = [
    ("main-wide", "Orders, positions and markets side by side (160x48)", (160, 48), {}, []),
    ("orders", "Open orders (80x24)", (80, 24), {}, []),
    ("positions", "Positions (80x24)", (80, 24), {}, [keys("2")]),
    ("markets", "Markets with 24h change and trend (80x24)", (80, 24), {}, [keys("3")]),
    ("fills", "Fills (80x24)", (80, 24), {}, [keys("4")]),
    ("history", "Order history, filtered (100x30)", (100, 30), {},
     [keys("5", "slash", *"status:filled,canceled", "enter")]),
    ("disconnected", "WebSocket lost: reconnecting (80x24)", (80, 24), {}, [disconnect]),
    ("polling", "REST polling while the WebSocket is down (80x24)", (80, 24), {}, [polling]),
    ("read-only", "Testnet, read-only: trading keys disabled (80x24)", (80, 24),
     {"config_factory": read_only_config}, []),
]


async def render(name: str, title: str, size: tuple[int, int], options: dict[str, Any],
                 steps: list[Step]) -> Path:
    config_factory = options.get("config_factory")
    app = make_demo_app(config=config_factory() if config_factory else None)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await play_live(app, pilot)
        app.clear_notifications()  # toasts expire on wall-clock time: not reproducible
        for step in steps:
            await step(app, pilot)
            await pilot.pause()
        await pilot.pause()
        svg = app.export_screenshot(title=f"dydx-tui: {title}")
    path = OUT / f"{name}.svg"
    path.write_text(svg, encoding="utf-8", newline="\n")
    return path


async def main() -> None:
    for view in VIEWS:
        path = await render(*view)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
