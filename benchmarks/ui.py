"""The running TUI, headless, wired as `dydx-tui` wires it (real feed over the devnet's
WebSocket, real store, gateway and controller), on this process's event loop.

- latency: the devnet indexer emits an order update (UpdatePump) -> the order's row in the
  open orders table shows it: the row is updated and the screen has refreshed after it
  (`call_after_refresh`). Baseline: a bare `websockets` client on the same channel,
  timed at the moment it has the frame decoded with json.loads.
- stall: the longest event-loop stall in the TUI (LoopLagProbe) during a cancel-all of 500
  orders (C, y on the confirmation screen) and during a 1,000/s burst of order updates.
- scale: main-thread CPU per update, and latency, with 10 vs 10,000 open orders in the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import websockets

from benchmarks.devnet_process import DevnetProcess
from benchmarks.devnet_tools import (
    UpdatePump,
    clear_alice,
    order_uuids,
    resting_orders,
    wait_for,
)
from benchmarks.harness import LoopLagProbe, Row
from benchmarks.parts import running_app
from benchmarks.trading import no_latency
from tui_app.devnet.accounts import ALICE

if TYPE_CHECKING:
    from benchmarks.__main__ import Context

PUMPED_ORDERS = 20  # resting orders the pump cycles through
RATES = (10, 100, 1000)
FULL_SECONDS = {10: 12.0, 100: 6.0, 1000: 5.0}  # 120, 600 and 5,000 updates
QUICK_SECONDS = {10: 2.0, 100: 1.0, 1000: 1.0}
DRAIN_SECONDS = 3.0


def main_thread_cpu() -> float:
    """CPU seconds of the main thread (the app's event loop) only: not the devnet's."""
    clock = time.pthread_getcpuclockid(threading.main_thread().ident)  # type: ignore[arg-type]
    return time.clock_gettime(clock)


class RowWatcher:
    """Times when each pumped update reaches its row in the open orders table.

    Wraps the table's `upsert` (the one place a row changes). An update counts as shown
    when its row shows it or a later update of the same order (the app coalesces updates
    between flushes: the row then skips straight to the newest). `painted[seq]` is when
    the screen refresh after that change ran."""

    def __init__(self, app: Any, pump: UpdatePump, start_seq: int) -> None:
        from tui_app.widgets.orders import OrdersTable

        self.app = app
        self.pump = pump
        self.start_seq = start_seq
        self.updated: dict[int, float] = {}
        self.painted: dict[int, float] = {}
        self._unpainted: list[int] = []
        self._paint_pending = False
        size = pump.size()
        self.size = size
        # The last seq already accounted for, per order: just before its first in this run.
        self.last: dict[str, int] = {}
        for index, order_id in enumerate(pump.order_ids):
            first = start_seq + (index - start_seq) % size
            self.last[order_id] = first - size
        self.table = app.query_one(OrdersTable)
        self._inner = self.table.upsert
        self.table.upsert = self._upsert

    def close(self) -> None:
        self.table.upsert = self._inner

    def _upsert(self, key: str, cells: Any) -> None:
        self._inner(key, cells)
        last = self.last.get(key)
        if last is None:
            return
        order = self.app.state.order(key)
        seq = order.data.client_metadata if order is not None else None
        if seq is None or seq <= last or seq < self.start_seq:  # older: not of this run
            return
        now = time.perf_counter()
        shown = range(last + self.size, seq + 1, self.size)
        self.last[key] = seq
        for s in shown:
            self.updated[s] = now
        self._unpainted.extend(shown)
        # One callback per refresh, not one per row: the watcher must not load the app.
        if not self._paint_pending:
            self._paint_pending = True
            self.app.call_after_refresh(self._painted)

    def _painted(self) -> None:
        moment = time.perf_counter()
        for s in self._unpainted:
            self.painted[s] = moment
        self._unpainted.clear()
        self._paint_pending = False


def latencies(times: dict[int, float], pump: UpdatePump, seqs: range) -> tuple[list[float], int]:
    """ms from emission to `times[seq]`, and how many emitted updates never got there."""
    out = [(times[s] - pump.emitted[s]) * 1000 for s in seqs if s in times]
    return out, len(seqs) - len(out)


async def settle(predicate: Any, seconds: float) -> None:
    """Wait until `predicate()` or `seconds` have passed (what is missing then is lost)."""
    try:
        await wait_for(predicate, "", seconds)
    except TimeoutError:
        pass


SETTLE_SECONDS = 1.0


async def wait_live(app: Any, order_ids: list[str], limit: float = 60.0) -> None:
    """Until the TUI shows the resting orders, then a second more: start-up's own work
    (the footer rebuilt after the bindings change, the gateway connecting) is not what a
    measurement that follows is about."""
    from tui_app.widgets.orders import OrdersTable

    table = app.query_one(OrdersTable)
    await wait_for(lambda: all(oid in table for oid in order_ids),
                   "the TUI to show the resting orders", limit)  # fmt: skip
    await asyncio.sleep(SETTLE_SECONDS)


async def pump_into_tui(app: Any, pump: UpdatePump, rate: float, seconds: float,
                        probe: LoopLagProbe | None = None) -> dict[str, Any]:  # fmt: skip
    """Pump updates at `rate` for `seconds` into the running app; what it measured."""
    start_seq = pump.next_seq
    watcher = RowWatcher(app, pump, start_seq)
    if probe is not None:
        probe.reset()
        probe.recording = True
    cpu_before = main_thread_cpu()
    try:
        sent = await pump.run(rate, seconds)
        cpu = main_thread_cpu() - cpu_before
        seqs = range(start_seq, start_seq + sent)
        await settle(lambda: len(watcher.painted) >= sent, DRAIN_SECONDS)
    finally:
        if probe is not None:
            probe.recording = False
        watcher.close()
    painted, lost = latencies(watcher.painted, pump, seqs)
    updated, _ = latencies(watcher.updated, pump, seqs)
    return {"painted": painted, "updated": updated, "lost": lost, "sent": sent, "cpu": cpu,
            "worst_lag_ms": probe.worst_ms if probe else None}  # fmt: skip


async def pump_into_websocket(devnet: DevnetProcess, pump: UpdatePump, rate: float,
                              seconds: float) -> tuple[list[float], int]:  # fmt: skip
    """The baseline: a bare WebSocket client, subscribed to the same channel."""
    start_seq = pump.next_seq
    received: dict[int, float] = {}
    async with websockets.connect(devnet.endpoints.ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "channel": "v4_subaccounts",
                                  "id": f"{ALICE.address}/0"}))  # fmt: skip
        while json.loads(await ws.recv()).get("type") != "subscribed":
            pass

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw)
                now = time.perf_counter()
                if message.get("type") != "channel_data":
                    continue
                for order in message["contents"].get("orders", ()):
                    seq = order.get("clientMetadata")
                    if seq is not None and int(seq) >= start_seq:
                        received.setdefault(int(seq), now)

        reader = asyncio.create_task(read())
        try:
            sent = await pump.run(rate, seconds)
            await settle(lambda: len(received) >= sent, DRAIN_SECONDS)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    return latencies(received, pump, range(start_seq, start_seq + sent))


def _latency_met(row: Row) -> bool:
    # Two frames at 60 Hz: on loopback p99 < 33 ms; at 50 ms of latency the wire alone takes
    # 50 ms, so what the app may add to the bare client's p99 is the same 33 ms.
    wire = row.baseline_stats.p99 if row.latency != "0 ms" and row.baseline else 0.0
    return row.stats.p99 - wire < 33


async def bench_update_latency(ctx: Context) -> list[Row]:
    seconds = QUICK_SECONDS if ctx.quick else FULL_SECONDS
    rows = []
    for latency in ctx.latencies:
        devnet = ctx.devnet(latency)
        async with resting_orders(devnet, PUMPED_ORDERS) as client_ids:
            pump = UpdatePump(devnet, order_uuids(client_ids))
            tui: dict[int, dict[str, Any]] = {}
            async with running_app(devnet, ctx.workdir / f"latency-{latency}") as app:
                await wait_live(app, pump.order_ids)
                for rate in RATES:
                    tui[rate] = await pump_into_tui(app, pump, rate, seconds[rate])
                    await asyncio.sleep(0.5)
            for rate in RATES:
                base, base_lost = await pump_into_websocket(devnet, pump, rate, seconds[rate])
                got = tui[rate]
                ctx.log(f"latency {rate}/s @{latency} ms: tui p50 "
                        f"{_p(got['painted'], 50)} ws p50 {_p(base, 50)}")  # fmt: skip
                notes = [f"row updated (before the repaint): median {_p(got['updated'], 50)}, "
                         f"p99 {_p(got['updated'], 99)} ms"]  # fmt: skip
                if got["lost"] or base_lost:
                    notes.append(f"not shown within {DRAIN_SECONDS:.0f} s: TUI {got['lost']}, "
                                 f"WebSocket {base_lost} of {got['sent']}")  # fmt: skip
                target, met = "", None
                if rate == 1000:
                    target = "p99 < 33 ms" if latency == 0 else "p99 < WS p99 + 33 ms"
                    met = _latency_met
                rows.append(Row("latency", f"update latency at {rate:,}/s", f"{latency} ms", "ms",
                                got["painted"], base, "bare WebSocket client", target, met,
                                note="; ".join(notes)))  # fmt: skip
    return rows


def _p(samples: list[float], p: float) -> str:
    from benchmarks.harness import fmt, percentile

    return fmt(percentile(samples, p))


# ----- stalls ----------------------------------------------------------------------------------


STALL_TARGET_MS = 50
CANCEL_ALL_ORDERS = 500


async def cancel_all_in_tui(ctx: Context, devnet: DevnetProcess, app: Any,
                            probe: LoopLagProbe) -> tuple[float, float]:  # fmt: skip
    """Place 500 short-term orders through the app's controller, then C, y: the worst
    loop stall from the key press until every row shows its cancel, and that time."""
    from tui_app.screens.cancel_all import CancelAllScreen
    from tui_app.state import OrderStatus

    controller = app.controller
    if controller is None:
        raise RuntimeError(f"the app cannot trade: {app.parts.trading_off_reason}")
    from benchmarks.trading import place_many

    with no_latency(devnet):
        devnet.faults.freeze_blocks = True  # short-term orders must outlive the set-up
        await place_many(controller, CANCEL_ALL_ORDERS, long_term=False)
    state = app.state
    await wait_for(lambda: len(state.open_orders()) >= CANCEL_ALL_ORDERS,
                   "the TUI to show 500 open orders")  # fmt: skip
    await asyncio.sleep(0.5)
    pilot = app.pilot
    probe.reset()
    probe.recording = True
    start = time.perf_counter()
    await pilot.press("C")
    await wait_for(lambda: isinstance(app.screen, CancelAllScreen), "the cancel-all screen", 10)
    await pilot.press("y")
    await wait_for(lambda: not any(o.status is OrderStatus.OPEN for o in state.open_orders()),
                   "every row to show its cancel", 60, interval=0.01)  # fmt: skip
    elapsed = (time.perf_counter() - start) * 1000
    await asyncio.sleep(0.5)  # what follows on screen (progress, notifications)
    probe.recording = False
    devnet.faults.freeze_blocks = False
    # Let the screen's per-order messages drain and close it before the app exits: quitting
    # with CancelsFinished messages still queued crashed the app (see findings).
    screen = app.screen
    await wait_for(lambda: getattr(screen, "phase", "done") == "done", "the report", 60)
    await pilot.pause()
    await pilot.press("escape")
    await wait_for(lambda: not isinstance(app.screen, CancelAllScreen), "the screen to close", 30)
    await pilot.pause()
    await asyncio.sleep(1.0)
    return probe.worst_ms, elapsed


async def bench_stall(ctx: Context) -> list[Row]:
    burst_seconds = QUICK_SECONDS[1000] if ctx.quick else FULL_SECONDS[1000]
    rows = []
    for latency in ctx.latencies:
        devnet = ctx.devnet(latency)
        probe = LoopLagProbe()
        cancel_lags, cancel_times, burst_lags = [], [], []
        async with resting_orders(devnet, PUMPED_ORDERS) as client_ids:
            pump = UpdatePump(devnet, order_uuids(client_ids))
            async with running_app(devnet, ctx.workdir / f"stall-{latency}") as app:
                probe.start()
                try:
                    await wait_live(app, pump.order_ids)
                    for _ in range(ctx.iterations(3)):
                        got = await pump_into_tui(app, pump, 1000, burst_seconds, probe)
                        burst_lags.append(got["worst_lag_ms"])
                        await asyncio.sleep(0.5)
                finally:
                    await probe.stop()
        for i in range(ctx.iterations(3)):
            # A fresh app each time: its store then holds exactly these 500 orders.
            async with running_app(devnet, ctx.workdir / f"stall-ca-{latency}-{i}") as app:
                probe.start()
                try:
                    worst, elapsed = await cancel_all_in_tui(ctx, devnet, app, probe)
                finally:
                    await probe.stop()
                    devnet.faults.freeze_blocks = False
            cancel_lags.append(worst)
            cancel_times.append(elapsed)
            await clear_alice(devnet)
        ctx.log(f"stall @{latency} ms: cancel-all {cancel_lags} ({cancel_times} ms), "
                f"burst {burst_lags}")  # fmt: skip
        met = lambda r: r.stats.high < STALL_TARGET_MS  # noqa: E731
        rows.append(Row("stall", "UI stall: cancel-all of 500 (C, y)", f"{latency} ms", "ms",
                        cancel_lags, target=f"worst < {STALL_TARGET_MS} ms", met=met,
                        note="C to every row cancelled: "
                             + ", ".join(f"{t:.0f}" for t in cancel_times) + " ms"))  # fmt: skip
        rows.append(Row("stall", "UI stall: 1,000 updates/s burst", f"{latency} ms", "ms",
                        burst_lags, target=f"worst < {STALL_TARGET_MS} ms", met=met))  # fmt: skip
    return rows


# ----- scale -----------------------------------------------------------------------------------


SCALE_RATE = 100
SCALE_SIZES = (10, 10_000)


def _rows_shown(app: Any) -> int:
    """Open orders with a row in the open orders table."""
    from tui_app.widgets.orders import OrdersTable

    table = app.query_one(OrdersTable)
    return sum(1 for order in app.state.open_orders() if order.id in table)


async def bench_scale(ctx: Context) -> list[Row]:
    """Main-thread CPU per update (the whole loop: the flushes, the periodic refreshes)
    and update latency, with 10 and with 10,000 open orders in the table."""
    seconds = 2.0 if ctx.quick else 8.0
    devnet = ctx.devnet(0)
    measured: dict[int, dict[str, Any]] = {}
    async with resting_orders(devnet, SCALE_SIZES[0]) as pumped:
        pump = UpdatePump(devnet, order_uuids(pumped))
        for size in SCALE_SIZES:
            async with running_app(devnet, ctx.workdir / f"scale-{size}") as app, \
                    contextlib.AsyncExitStack() as more:
                await wait_live(app, pump.order_ids, 120)
                if size > len(pumped):
                    # Placed while the app listens: the subaccount snapshot carries at most
                    # 1,000 orders (as the real indexer's), updates carry them all. Tiny
                    # orders, so that 10,000 fit alice's margin.
                    await more.enter_async_context(resting_orders(
                        devnet, size - len(pumped), size_btc=Decimal("0.001"), price_usd=15_000))
                # The table, not only the state: a burst of new rows reaches the table at
                # most ORDER_ROWS_PER_FRAME a frame, and this measures updates, not that.
                await wait_for(lambda app=app, size=size: _rows_shown(app) >= size,
                               f"the TUI to show {size} open orders", 120)  # fmt: skip
                idle_before, wall_before = main_thread_cpu(), time.perf_counter()
                await asyncio.sleep(seconds / 2)  # may take longer: the loop may be saturated
                idle = (main_thread_cpu() - idle_before) / (time.perf_counter() - wall_before)
                got = await pump_into_tui(app, pump, SCALE_RATE, seconds)
                got["idle"] = idle
                measured[size] = got
            ctx.log(f"scale {size}: cpu {got['cpu']:.3f} s for {got['sent']}, idle {idle:.0%}")
    small, large = measured[SCALE_SIZES[0]], measured[SCALE_SIZES[1]]

    def per_update(got: dict[str, Any]) -> list[float]:
        return [got["cpu"] / got["sent"] * 1000]

    def note(got: dict[str, Any]) -> str:
        return (f"{got['sent']} updates at {SCALE_RATE}/s; main thread busy {got['idle']:.0%} "
                f"of the time when idle")  # fmt: skip

    return [
        Row("scale", "scale: main-thread CPU per update, 10,000 open orders", "0 ms", "ms",
            per_update(large), per_update(small), "the same with 10 open orders",
            "ratio < 2", lambda r: r.ratio is not None and r.ratio < 2,
            note=note(large) + "; with 10: " + note(small)),
        Row("scale", "scale: update latency, 10,000 open orders", "0 ms", "ms",
            large["painted"], small["painted"], "the same with 10 open orders",
            "median ratio < 2", lambda r: r.ratio is not None and r.ratio < 2),
    ]  # fmt: skip
