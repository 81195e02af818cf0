"""memory: peak RSS (VmHWM) of the TUI holding 1,000 open orders and 10,000 final ones
in its history, against a bare Textual app, each in a fresh process.

The app is the real one (build_app, headless, every tab shown once); its account state is
filled by the real parser and state from indexer-shaped frames (the demo scenario's
markets and block height, and a subaccount snapshot with the 11,000 orders). No feed and
no devnet in that process: their memory is not the app's.

    python -m benchmarks.memory app|bare     prints {"peak_rss_mb": ...}
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import subprocess
import sys
from typing import TYPE_CHECKING

from benchmarks.harness import Row

if TYPE_CHECKING:
    from benchmarks.__main__ import Context

OPEN_ORDERS = 1_000
FINAL_ORDERS = 10_000
TARGET_MB = 150


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss across
    exec, so a child of a big process would report its parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def snapshot_orders() -> tuple[dict, ...]:
    from tui_app.tools import demo_scenario as demo

    orders = []
    for i in range(OPEN_ORDERS + FINAL_ORDERS):
        final = i >= OPEN_ORDERS
        status = ("FILLED" if i % 3 == 0 else "CANCELED") if final else "OPEN"
        market = ("BTC-USD", 0, "0.001", 30_000) if i % 2 else ("ETH-USD", 1, "0.01", 1_000)
        ticker, clob, size, base_price = market
        orders.append(demo.order(10_000 + i, ticker, clob, "BUY", size, str(base_price + i % 997),
                                 status=status, filled=size if status == "FILLED" else "0",
                                 long_term=bool(i % 4), age_blocks=60 + i % 5000))  # fmt: skip
    return tuple(orders)


async def run_app() -> None:
    """The garbage collector is handled as `dydx-tui` handles it: paused while starting,
    start-up frozen and collection resumed once the first rows are drawn."""
    from tui_app.app import AppParts, build_app
    from tui_app.config import EnvOverrides, Settings, resolve_config
    from tui_app.launch import resume_gc
    from tui_app.state import AccountState
    from tui_app.tools import demo_scenario as demo

    gc.disable()

    frames = demo.Frames()
    raw = [demo._sample("connected.json"), demo.markets_snapshot(), demo.block_height_snapshot(),
           demo.subaccount_snapshot(snapshot_orders())]  # fmt: skip
    state = AccountState(demo.ADDRESS, 0)
    demo.apply_frames(state, [frames.stamp(frame) for frame in raw])
    shown = len(state.orders)
    config = resolve_config(Settings(), cli_network="local", env=EnvOverrides())
    app = build_app(AppParts(config=config, state=state, reconcile_at_start=False))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        resume_gc()
        for key in ("2", "3", "4", "5", "1"):  # every tab drawn once
            await pilot.press(key)
            await pilot.pause()
    if shown < OPEN_ORDERS + FINAL_ORDERS:
        raise SystemExit(f"the state kept only {shown} orders")


async def run_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Header

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield DataTable()
            yield Footer()

    async with Bare().run_test(size=(160, 50)) as pilot:
        await pilot.pause()


def measure(kind: str) -> float:
    out = subprocess.run([sys.executable, "-m", "benchmarks.memory", kind], capture_output=True,
                         text=True, check=True, timeout=300)  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"])


async def bench_memory(ctx: Context) -> list[Row]:
    ours, base = [], []
    for _ in range(ctx.iterations(3)):
        ours.append(await asyncio.to_thread(measure, "app"))
        base.append(await asyncio.to_thread(measure, "bare"))
    return [Row("memory", f"memory: peak RSS, {FINAL_ORDERS:,} in history + {OPEN_ORDERS:,} open",
                "—", "MB", ours, base, "bare Textual app", f"< {TARGET_MB} MB",
                lambda r: r.stats.high < TARGET_MB)]  # fmt: skip


if __name__ == "__main__":
    asyncio.run(run_app() if sys.argv[1:] == ["app"] else run_bare())
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}))
