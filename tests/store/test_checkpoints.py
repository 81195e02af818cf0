"""WAL checkpoints happen on the store's own thread, not inside a commit (but for a
small catch-up under a steady stream of commits); closing the store stops that thread."""

from __future__ import annotations

import asyncio
import itertools

from tui_app.store import AuditAction, AuditEntry, AuditOutcome, OrderStore
from tui_app.store.checkpoint import Checkpointer

from .factories import make_order


async def test_committed_pages_reach_the_database_file_without_another_commit(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path) as store:
        thread = store._checkpointer._thread
        assert thread.is_alive()
        before = path.stat().st_size
        await store.add_orders([make_order(i) for i in range(300)])  # into the WAL only
        assert path.stat().st_size == before
        for _ in range(100):  # the background checkpoint copies them (0.5 s interval)
            await asyncio.sleep(0.05)
            if path.stat().st_size > before:
                break
        assert path.stat().st_size > before
        assert len(await store.open_orders()) == 300
    assert not thread.is_alive()


async def test_a_steady_stream_of_commits_still_starts_the_wal_anew(tmp_path):
    """Commits landing during every background pass would keep the WAL from ever
    restarting (each commit then appends to a growing file); the writer catches up."""
    path = tmp_path / "o.sqlite3"
    wal = path.with_name(path.name + "-wal")
    async with await OrderStore.open(path) as store:
        await asyncio.to_thread(store._checkpointer.stop)
        store._checkpointer = Checkpointer(path, interval=0.05)
        store._checkpointer.start()
        order = make_order()
        await store.add_order(order)
        entry = AuditEntry(order.order_id, AuditAction.RECONCILE, AuditOutcome.ACCEPTED)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.0
        sizes = []
        while loop.time() < deadline:  # back to back: every pass races commits
            await store.add_audit(entry)
            sizes.append(wal.stat().st_size)
    grew = sum(1 for before, after in itertools.pairwise(sizes) if after > before)
    assert len(sizes) > 100
    # Growing only until the first restart (a few passes), not with every commit.
    assert grew < len(sizes) / 2, (grew, len(sizes))
