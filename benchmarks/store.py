"""store: the order metadata store (real SQLite, WAL, synchronous=FULL) holding 100,000
orders. insert+update is what `place` does to it: the pending row with its audit entry
committed, then the row set active with the second audit entry (two transactions, two
fsyncs), both awaited here (`place` itself waits only for the first: the second is
written behind, `OrderStore.write_behind`). Each commit writes to the WAL the pages it
touched (schema 2: 6 for the insert, 4 for the update, 4 KiB each) and fsyncs it.
lookup is `find(order_id)` of a random existing order.

Baseline of insert+update: what two durable commits cost at least on this disk, two
`os.fsync` of a small write to a file in the same directory, sampled in turn with ours
(the disk is shared: both see the same moments)."""

from __future__ import annotations

import itertools
import os
import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from benchmarks.harness import Row, percentile
from tui_app.chain.orders import OrderKey
from tui_app.devnet.accounts import ALICE
from tui_app.ids import order_uuid
from tui_app.store import (
    AuditAction,
    AuditEntry,
    AuditOutcome,
    OrderRecord,
    OrderStatus,
    OrderStore,
)

if TYPE_CHECKING:
    from benchmarks.__main__ import Context

ROWS = 100_000
FILL_BATCH = 5_000


def record(client_id: int, status: OrderStatus = OrderStatus.PENDING) -> OrderRecord:
    key = OrderKey(ALICE.address, 0, client_id, 0, 0)
    return OrderRecord(
        order_id=order_uuid(ALICE.address, 0, client_id, 0, 0), owner=ALICE.address,
        subaccount_number=0, client_id=client_id, order_flags=0, clob_pair_id=0,
        order_id_proto=key.encode(), good_til_block=1000 + client_id, good_til_block_time=None,
        symbol="BTC-USD", side="BUY", quantity=Decimal("0.001"), quantums=10_000_000,
        price=Decimal(30_000), subticks=3_000_000_000, order_type="LIMIT",
        time_in_force="GTT", reduce_only=False, post_only=False,
        placed_at=datetime.now(UTC), status=status,
    )  # fmt: skip


async def fill(store: OrderStore, count: int) -> list[str]:
    """`count` rows, most of them final (a long history), every 10th still open."""
    ids = []
    for start in range(0, count, FILL_BATCH):
        batch = [record(i, OrderStatus.ACTIVE if i % 10 == 0 else OrderStatus.CANCELLED)
                 for i in range(start + 1, min(count, start + FILL_BATCH) + 1)]  # fmt: skip
        await store.add_orders(batch)
        ids.extend(r.order_id for r in batch)
    return ids


def two_fsyncs(fd: int) -> float:
    """ms for two small writes each made durable with fsync (two commits' floor)."""
    start = time.perf_counter()
    for _ in range(2):
        os.write(fd, b"x" * 512)
        os.fsync(fd)
    return (time.perf_counter() - start) * 1000


async def bench_store(ctx: Context) -> list[Row]:
    samples = 100 if ctx.quick else 1000
    store = await OrderStore.open(ctx.workdir / "store-bench.sqlite3")
    fd = os.open(ctx.workdir / "fsync-baseline.bin", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        ids = await fill(store, ROWS)
        next_client_id = itertools.count(ROWS + 1)
        writes, fsyncs = [], []
        for _ in range(samples):
            fsyncs.append(two_fsyncs(fd))
            new = record(next(next_client_id))
            start = time.perf_counter()
            await store.add_order(new, audit=AuditEntry(new.order_id, AuditAction.PLACE,
                                                        AuditOutcome.ATTEMPT, detail="bench"))
            await store.update_order(
                new.order_id, status=OrderStatus.ACTIVE, expect=(OrderStatus.PENDING,),
                tx_hash="AB" * 32,
                audit=AuditEntry(new.order_id, AuditAction.PLACE, AuditOutcome.ACCEPTED, code=0),
            )  # fmt: skip
            writes.append((time.perf_counter() - start) * 1000)
        rng = random.Random(7)
        reads = []
        for _ in range(samples * 5):
            order_id = rng.choice(ids)
            start = time.perf_counter()
            found = await store.find(order_id)
            reads.append((time.perf_counter() - start) * 1000)
            assert found is not None
        open_count = len(await store.open_orders())
    finally:
        os.close(fd)
        await store.close()
    note = f"{ROWS:,} rows ({open_count:,} open) before the first sample"
    return [
        Row("store", "store: insert + update (2 commits)", "—", "ms", writes, fsyncs,
            "2 × (small write + os.fsync), same directory", target="p99 < 2 ms",
            met=lambda r: r.stats.p99 < 2,
            note=f"{note}; the fsync baseline's own p99: {percentile(fsyncs, 99):.1f} ms"),
        Row("store", "store: lookup by order id", "—", "ms", reads,
            target="p99 < 0.2 ms", met=lambda r: r.stats.p99 < 0.2, note=note),
    ]  # fmt: skip

