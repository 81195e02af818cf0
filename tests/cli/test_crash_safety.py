"""SIGKILL of `dydx-tui place` / `cancel-all` at random moments (seeded), then reconcile.

After every kill: the database passes `PRAGMA integrity_check`, and every order of alice
that is open on the devnet's chain is known to the store with a status that says it may be
live (pending, active, cancel_pending or unknown) - never missing, never "finished".

The devnet runs in this process (so the test can read the chain's own open orders); each
command is a real `python -m tui_app` process talking to it over loopback.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from decimal import Decimal

import pytest

from tests.controller.conftest import close_harness, make_harness
from tui_app.controller.requests import PlaceRequest
from tui_app.devnet.accounts import ALICE
from tui_app.store import OrderStatus

from .conftest import Cli

MAY_BE_LIVE = {OrderStatus.PENDING, OrderStatus.ACTIVE, OrderStatus.CANCEL_PENDING,
               OrderStatus.UNKNOWN}  # fmt: skip


@pytest.fixture
def crash_cli(devnet, tmp_path) -> Cli:
    e = devnet.endpoints
    return Cli({"grpc": e.grpc, "rest": e.rest_url, "ws": e.ws_url}, tmp_path,
               tmp_path / "orders.sqlite3")  # fmt: skip


def place_args(rng: random.Random) -> list[str]:
    long_term = rng.random() < 0.5
    market, price, size = (("ETH-USD", 1000 + rng.randrange(500), "0.01") if rng.random() < 0.5
                           else ("BTC-USD", 30000 + rng.randrange(500), "0.001"))  # fmt: skip
    args = ["place", "--market", market, "--side", "buy", "--size", size, "--price", str(price)]
    return args + (["--long-term"] if long_term else [])


async def seed_orders(devnet, db, rng: random.Random) -> None:
    """A few open orders (in the same store) for a cancel-all to chew on."""
    h = await make_harness(devnet, db, short_term_blocks=20)
    try:
        for i in range(rng.randrange(2, 6)):
            market = "BTC-USD" if i % 2 else "ETH-USD"
            price = Decimal(31000 + i) if market == "BTC-USD" else Decimal(1200 + i)
            size = Decimal("0.001") if market == "BTC-USD" else Decimal("0.01")
            await h.controller.place(PlaceRequest(market, "BUY", size, price,
                                                  long_term=rng.random() < 0.5))  # fmt: skip
    finally:
        await close_harness(h)


async def check_after_crash(devnet, db) -> dict:
    h = await make_harness(devnet, db)
    try:
        assert await h.store.integrity_check() == ["ok"]
        await h.controller.reconcile()
        problems = []
        for order in h.chain_open_orders():
            oid = order.order_id
            row = await h.store.find_by_client_id(
                ALICE.address, oid.subaccount.number, oid.client_id, oid.clob_pair_id,
                oid.order_flags,
            )  # fmt: skip
            if row is None:
                problems.append(f"open on chain, unknown to the store: {oid}")
            elif row.status not in MAY_BE_LIVE:
                problems.append(f"open on chain, store says {row.status.value}: {oid}")
        assert problems == []
        statuses: dict[str, int] = {}
        for row in await h.store.list_orders():
            statuses[row.status.value] = statuses.get(row.status.value, 0) + 1
        return statuses
    finally:
        await close_harness(h)


READY_MARKER = "session ready"


def start_and_wait_for_work(cli: Cli, args: list[str]):
    """Start a command; return it once its log says the session is open (imports done:
    from here on it opens, writes, signs and sends), or once it has exited."""
    offset = cli.log_file.stat().st_size if cli.log_file.exists() else 0
    proc = cli.popen(*args)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if cli.log_file.exists():
            with cli.log_file.open("rb") as f:
                f.seek(offset)
                if READY_MARKER.encode() in f.read():
                    break
        time.sleep(0.005)
    return proc


def work_seconds(cli: Cli, rng: random.Random) -> float:
    """How long a `place` works after its session is ready: the kill window."""
    proc = start_and_wait_for_work(cli, place_args(rng))
    started = time.monotonic()
    assert proc.wait(60) == 0
    return time.monotonic() - started


def crash_drill(devnet, cli: Cli, kills: int, seed: int) -> list[str]:
    """Run commands until `kills` of them were SIGKILLed mid-way (a run that finishes
    before its kill moment is checked too, but does not count)."""
    rng = random.Random(seed)
    work = work_seconds(cli, rng)
    log: list[str] = []
    killed = 0
    for run in range(3 * kills):
        if killed >= kills:
            break
        cancel_all = rng.random() < 0.4
        if cancel_all:
            asyncio.run(seed_orders(devnet, cli.db, rng))
            args = ["cancel-all", "--yes"]
        else:
            args = place_args(rng)
        # cancel-all reconciles first (a few REST requests): a longer window.
        delay = rng.uniform(0, (2.0 if cancel_all else 1.0) * work)
        proc = start_and_wait_for_work(cli, args)
        try:
            proc.wait(delay)
            outcome = f"finished ({proc.returncode})"
        except subprocess.TimeoutExpired:  # still working at its kill moment
            proc.kill()
            proc.wait(30)
            outcome = "killed"
            killed += 1
        statuses = asyncio.run(check_after_crash(devnet, cli.db))
        log.append(
            f"run {run}: {args[0]}, kill planned {delay * 1000:.0f} ms into its work "
            f"(window {work * 1000:.0f} ms): {outcome}; store {statuses}"
        )

    # Finally everything can still be cancelled from the (crash-tested) store.
    asyncio.run(cancel_everything_from_the_store(devnet, cli.db, timeout=15))
    assert killed >= kills, log
    return log


async def cancel_everything_from_the_store(devnet, db, timeout: float) -> None:
    """After a drill: reconcile, cancel-all, nothing left open on the chain, db intact."""
    h = await make_harness(devnet, db)
    try:
        await h.controller.reconcile()
        await h.controller.cancel_all()
        deadline = time.monotonic() + timeout
        while h.chain_open_orders():
            assert time.monotonic() < deadline, h.chain_open_orders()
            await asyncio.sleep(0.1)
        assert await h.store.integrity_check() == ["ok"]
    finally:
        await close_harness(h)


def test_crash_safety_short(devnet, crash_cli):
    log = crash_drill(devnet, crash_cli, kills=5, seed=5)
    print("\n".join(log))


# The 30-run drill over place, cancel and cancel-all lives in
# tests/reliability/test_crash_drill.py (marker slow); this file keeps the short one.
