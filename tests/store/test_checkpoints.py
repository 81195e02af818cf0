"""WAL checkpoints happen on the store's own thread, not inside a commit; closing the
store stops that thread."""

from __future__ import annotations

import asyncio

from tui_app.store import OrderStore

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
