"""The seeded SIGKILL drill over place, cancel AND cancel-all (issue 8, item 3).

tests/cli/test_crash_safety.py kills `place` and `cancel-all`; this drill rotates through
all three commands, `cancel ORDER_ID` included, with the same checks after every kill: the
database passes `PRAGMA integrity_check`, and after reconciliation every order open on the
devnet's chain is in the store with a status that says it may be live. At the end,
everything is cancelled from the crash-tested store and the chain has nothing open.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.cli.test_crash_safety import (
    cancel_everything_from_the_store,
    check_after_crash,
    crash_cli,  # noqa: F401 (fixture)
    place_args,
    seed_orders,
    start_and_wait_for_work,
    work_seconds,
)
from tui_app.store import OrderStatus

KINDS = ("place", "cancel", "cancel-all")


async def _cancellable_id(db, rng: random.Random) -> str | None:
    from tui_app.store import OrderStore

    store = await OrderStore.open(db)
    try:
        rows = await store.list_orders(statuses=(OrderStatus.ACTIVE,))
    finally:
        await store.close()
    return rng.choice(rows).order_id if rows else None


def drill(net, cli, runs: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    work = work_seconds(cli, rng)
    log, kills = [], 0
    for run in range(runs):
        kind = KINDS[run % 3]
        if kind != "place":
            asyncio.run(seed_orders(net, cli.db, rng))
        if kind == "cancel":
            order_id = asyncio.run(_cancellable_id(cli.db, rng))
            args = ["cancel", order_id] if order_id else place_args(rng)
        elif kind == "cancel-all":
            args = ["cancel-all", "--yes"]
        else:
            args = place_args(rng)
        delay = rng.uniform(0, (3.0 if kind == "cancel-all" else 1.3) * work)
        proc = start_and_wait_for_work(cli, args)
        try:
            proc.wait(delay)
            outcome = f"finished ({proc.returncode})"
        except Exception:
            proc.kill()
            proc.wait(30)
            outcome = "killed"
            kills += 1
        statuses = asyncio.run(check_after_crash(net, cli.db))
        log.append(f"run {run}: {args[0]}, kill planned {delay * 1000:.0f} ms into its work: "
                   f"{outcome}; store {statuses}")  # fmt: skip

    asyncio.run(cancel_everything_from_the_store(net, cli.db, timeout=30))
    return log, kills


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_thirty_seeded_kills_of_place_cancel_and_cancel_all(devnet, crash_cli, figures):  # noqa: F811
    log, kills = drill(devnet, crash_cli, runs=30, seed=8)
    print("\n".join(log))
    for kind in KINDS:
        assert sum(f": {kind}," in line for line in log) >= 8, kind
    assert sum("killed" in line and ": cancel," in line for line in log) >= 1
    assert kills >= 10
    figures("crash_runs_recovered", len(log))
    figures("crash_kills", kills)
