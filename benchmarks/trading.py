"""cancel-all and place: the OrderController against a plain dydx-v4-client loop, on the
same devnet, in the same run.

cancel-all: the time from `controller.cancel_all()` until it returns: every cancel
accepted by the devnet (every broadcast answered code 0: MsgBatchCancel for short-term
orders, stateful cancel txs for long-term ones) and every answer written to the store.
The controller is wired as `dydx-tui` wires it, live feed included (its open orders are
the targets, no REST read). The note says when the last acceptance was reported to
`on_progress` (the screen shows each as it arrives). Baseline: `NodeClient.cancel_order`
per order, in a loop, as the package's examples do (each call queries the account first,
then broadcasts).

place: `controller.place()` (market lookup, latest block, the pending row committed, sign,
broadcast, the row updated) against `NodeClient.place_order` alone (account query,
broadcast). Short-term limit buys far below the price, so nothing fills. Twice: back to
back (a ladder) and 0.3 s apart. Blocks go on, one a second: a place counts its
good-til-block from the height the live feed heard from the indexer, or from the node's
answer to a place a moment before, or asks the node (tui_app/controller/recent_block.py).

For cancel-all, orders are set up through the controller with the devnet's latency
switched off (setup is not what is measured), and blocks are frozen while a measurement
runs: the baseline's 500 sequential cancels take longer than a short-term order lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import Iterator
from decimal import Decimal
from statistics import median
from typing import TYPE_CHECKING

from v4_proto.dydxprotocol.clob.order_pb2 import Order, OrderId
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId

from benchmarks.devnet_process import DevnetProcess
from benchmarks.devnet_tools import alice_open_on_chain, clear_alice, wait_for
from benchmarks.harness import Row, fmt
from benchmarks.parts import PlainClient, open_controller
from tui_app.chain.orders import OrderKey
from tui_app.controller.indexer import OPEN_INDEXER_STATUSES
from tui_app.controller.requests import CancelResult, PlaceRequest
from tui_app.devnet.accounts import ALICE

if TYPE_CHECKING:
    from benchmarks.__main__ import Context

ACCEPTED = (CancelResult.BEST_EFFORT, CancelResult.SENT)
SETUP_CONCURRENCY = 8
_db_names = itertools.count()


@contextlib.contextmanager
def no_latency(devnet: DevnetProcess) -> Iterator[None]:
    """Set-up at loopback speed; the configured latency again afterwards."""
    devnet.faults.latency_ms = 0
    try:
        yield
    finally:
        devnet.faults.latency_ms = devnet.config.latency_ms


def buy(i: int, long_term: bool) -> PlaceRequest:
    # Distinct prices far below the oracle (~BTC 60k): they rest, never match.
    return PlaceRequest("BTC-USD", "BUY", Decimal("0.001"), Decimal(30_000 + i % 5000),
                        long_term=long_term)  # fmt: skip


async def place_many(controller, count: int, long_term: bool) -> None:
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            outcome = await controller.place(buy(i, long_term))
            if outcome.status != "active":
                raise RuntimeError(f"set-up order not accepted: {outcome}")

    await asyncio.gather(*(one(i) for i in range(count)))


async def orders_ready(ctx: Context, devnet: DevnetProcess, count: int, long_term: bool):
    """A fresh store with `count` open orders of alice placed through it; blocks frozen
    once the chain holds them. Returns the ControllerParts (caller closes them)."""
    parts = await open_controller(devnet, ctx.workdir / f"orders-{next(_db_names)}.sqlite3")
    try:
        with no_latency(devnet):
            await place_many(parts.controller, count, long_term)
            await wait_for(lambda: len(alice_open_on_chain(devnet)) == count,
                           f"{count} orders open on the chain")  # fmt: skip
            # As in the TUI: the live feed shows them too before anyone cancels them.
            await wait_for(lambda: live_open_count(parts) == count,
                           f"the live feed to show {count} open orders")  # fmt: skip
        devnet.faults.freeze_blocks = True
        return parts
    except BaseException:
        await parts.close()
        raise


def live_open_count(parts) -> int:
    """Open orders in the live feed's account state, as cancel-all counts them."""
    return sum(1 for t in parts.feed.state.open_orders()
               if t.data.status in OPEN_INDEXER_STATUSES)  # fmt: skip


async def measure_controller_cancel_all(ctx: Context, devnet: DevnetProcess, count: int,
                                        long_term: bool) -> tuple[float, float, int]:  # fmt: skip
    """ms from the request until cancel_all returns (every cancel accepted and every
    answer written to the store), ms until the last acceptance was reported (on_progress,
    what the screen shows), and how many were not accepted."""
    parts = await orders_ready(ctx, devnet, count, long_term)
    last_accepted = 0.0

    def progress(outcome) -> None:
        nonlocal last_accepted
        if outcome.result in ACCEPTED:
            last_accepted = time.perf_counter()

    try:
        start = time.perf_counter()
        report = await parts.controller.cancel_all(on_progress=progress)
        elapsed = (time.perf_counter() - start) * 1000
        answered = (last_accepted - start) * 1000
        missed = count - report.count(*ACCEPTED)
    finally:
        devnet.faults.freeze_blocks = False
        await parts.close()
    await clear_alice(devnet)
    return elapsed, answered, missed


async def measure_plain_cancel_loop(ctx: Context, devnet: DevnetProcess, count: int,
                                    long_term: bool) -> tuple[float, int]:  # fmt: skip
    parts = await orders_ready(ctx, devnet, count, long_term)
    try:
        records = await parts.store.open_orders()
        client = PlainClient(devnet)

        def loop() -> tuple[float, int]:
            client.connect()
            try:
                start = time.perf_counter()
                refused = 0
                for r in records:
                    response = client.run(client.node.cancel_order(
                        client.wallet, OrderKey.decode(r.order_id_proto).proto(),
                        good_til_block=r.good_til_block,
                        good_til_block_time=r.good_til_block_time,
                    ))  # fmt: skip
                    refused += response.tx_response.code != 0
                return (time.perf_counter() - start) * 1000, refused
            finally:
                client.close()

        # Off the event loop: NodeClient's calls block whatever loop awaits them.
        elapsed, refused = await asyncio.to_thread(loop)
    finally:
        devnet.faults.freeze_blocks = False
        await parts.close()
    await clear_alice(devnet)
    return elapsed, refused


CANCEL_CASES = (  # (orders, long-term?, our iterations, baseline iterations) at full size
    (10, False, 7, 5),
    (100, False, 5, 3),
    (500, False, 5, 2),
    (50, True, 5, 3),
)


def _cancel_all_met(row: Row) -> bool:
    return row.stats.median < 200 and (row.ratio is not None and row.ratio <= 1 / 50)


async def bench_cancel_all(ctx: Context) -> list[Row]:
    rows = []
    for latency in ctx.latencies:
        devnet = ctx.devnet(latency)
        for count, long_term, ours_n, base_n in CANCEL_CASES:
            kind = "long-term" if long_term else "short-term"
            ours, answered, base, missed = [], [], [], 0
            for _ in range(ctx.iterations(ours_n)):
                ms, answer_ms, bad = await measure_controller_cancel_all(ctx, devnet, count,
                                                                         long_term)  # fmt: skip
                ours.append(ms)
                answered.append(answer_ms)
                missed += bad
            for _ in range(ctx.iterations(base_n)):
                ms, bad = await measure_plain_cancel_loop(ctx, devnet, count, long_term)
                base.append(ms)
                missed += bad
            ctx.log(f"cancel-all {count} {kind} @{latency} ms: ours {ours} (last acceptance "
                    f"shown {answered}), loop {base}")  # fmt: skip
            notes = [f"last acceptance shown (on_progress) after {fmt(median(answered))} ms "
                     "median; then the last answers are written (group committed)"]  # fmt: skip
            if missed:
                notes.append(f"{missed} cancels not accepted")
            target, met = "", None
            if count == 500 and latency == 50:
                target, met = "< 200 ms and ≥ 50× faster than the loop", _cancel_all_met
            rows.append(Row(
                "cancel-all", f"cancel-all {count} {kind}", f"{latency} ms", "ms", ours, base,
                "NodeClient.cancel_order loop", target, met, note="; ".join(notes),
            ))  # fmt: skip
    return rows


# ----- place ---------------------------------------------------------------------------------


async def measure_place(ctx: Context, devnet: DevnetProcess, count: int, apart: float,
                        ) -> tuple[list[float], list[float], int, int]:  # fmt: skip
    """ms per place: ours (controller.place: height, metadata committed first, then the
    broadcast) and the bare `NodeClient.place_order`, alternately order by order, so that
    both see the same moments of the machine (a busy second falls on both sides).
    `apart`: seconds between one pair and the next. Blocks go on as usual (one a second).
    Also returns how many of our places asked the node for the height and how many took
    the one the live feed heard from the indexer (controller/recent_block.py); the others
    reused the node's answer to an earlier place."""
    parts = await open_controller(devnet, ctx.workdir / f"place-{next(_db_names)}.sqlite3")
    client = PlainClient(devnet)
    first_id = random.randrange(1 << 30, 1 << 31)  # far from the store's client ids
    ours, base = [], []
    blocks = parts.controller.recent_block
    state = parts.feed.state
    try:
        await asyncio.to_thread(client.connect)
        await parts.controller.markets.market("BTC-USD")  # the market list, once (cached)
        asked_before, pushed_before = blocks.requests, blocks.pushed_used
        for i in range(count):
            await asyncio.sleep(apart)
            start = time.perf_counter()
            outcome = await parts.controller.place(buy(i, long_term=False))
            ours.append((time.perf_counter() - start) * 1000)
            if outcome.status != "active":
                raise RuntimeError(f"place not accepted: {outcome}")
            # The bare client's good-til-block counts from the height the feed last heard,
            # taken outside its timing (a script would keep one from a WebSocket too).
            height = state.block_height
            base.append(await asyncio.to_thread(_plain_place, client, first_id + i, i, height))
    finally:
        await asyncio.to_thread(client.close)
        await parts.close()
    return ours, base, blocks.requests - asked_before, blocks.pushed_used - pushed_before


def _plain_place(client: PlainClient, client_id: int, i: int, height: int) -> float:
    """One NodeClient.place_order on the client's own loop (in a worker thread); its ms."""
    order = Order(
        order_id=OrderId(subaccount_id=SubaccountId(owner=ALICE.address, number=0),
                         client_id=client_id, order_flags=0, clob_pair_id=0),
        side=Order.SIDE_BUY, quantums=10_000_000,
        subticks=(30_000 + i % 5000) * 100_000, good_til_block=height + 20,
    )  # fmt: skip
    start = time.perf_counter()
    response = client.run(client.node.place_order(client.wallet, order))
    elapsed = (time.perf_counter() - start) * 1000
    if response.tx_response.code != 0:
        raise RuntimeError(f"baseline place refused: {response.tx_response.raw_log}")
    return elapsed


def _place_met(row: Row) -> bool:
    return row.ratio is not None and row.ratio <= 1.2


async def bench_place(ctx: Context) -> list[Row]:
    """Back to back (a ladder) and one at a time (0.3 s apart)."""
    runs = [(40 if ctx.quick else 200, 0.0, "back to back"),
            (10 if ctx.quick else 40, 0.3, "0.3 s apart")]  # fmt: skip
    rows = []
    for latency in ctx.latencies:
        devnet = ctx.devnet(latency)
        for count, apart, how in runs:
            ours, base, asked, pushed = await measure_place(ctx, devnet, count, apart)
            await clear_alice(devnet)
            rows.append(Row(
                "place", f"place ({count} orders, {how})", f"{latency} ms", "ms", ours, base,
                "NodeClient.place_order", "median ≤ 1.2× the bare client", _place_met,
                note=(f"height: {asked} of {count} places asked the node, {pushed} took the "
                      "one the feed heard from the indexer, the others reused the node's"),
            ))  # fmt: skip
    return rows
