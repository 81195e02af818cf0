"""Point lookups read a second connection on the caller's loop: as current as under the
lock (a write of ours in flight is waited for), other processes' commits seen at once, a
failed direct read served the usual way."""

from __future__ import annotations

import asyncio
import sqlite3

from tui_app.store import OrderStatus, OrderStore

from .factories import make_order


async def test_lookup_sees_another_connections_commit_at_once(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path) as store:
        order = await store.add_order(make_order(1))
        assert (await store.find(order.order_id)).status is OrderStatus.PENDING
        other = sqlite3.connect(path, isolation_level=None)  # e.g. `dydx-tui cancel-all`
        try:
            other.execute(
                "UPDATE dydx_order_metadata SET status = 'active' WHERE order_id = ?",
                (order.order_id,),
            )
        finally:
            other.close()
        assert (await store.find(order.order_id)).status is OrderStatus.ACTIVE
        found = await store.find_by_client_id(order.owner, 0, 1, order.clob_pair_id, 0)
        assert found is not None and found.status is OrderStatus.ACTIVE
        assert await store.find("no-such-order") is None


async def test_lookup_waits_for_our_write_in_flight(tmp_path):
    async with await OrderStore.open(tmp_path / "o.sqlite3") as store:
        order = await store.add_order(make_order(1))
        writing = asyncio.create_task(store.update_order(order.order_id, status=OrderStatus.ACTIVE))
        await asyncio.sleep(0)  # the write holds the store's lock now
        assert (await store.find(order.order_id)).status is OrderStatus.ACTIVE
        await writing


async def test_a_failed_direct_read_is_served_by_the_database_thread(tmp_path):
    class Busy:
        def execute(self, *args):
            raise sqlite3.OperationalError("database is locked")

        def close(self):
            pass

    async with await OrderStore.open(tmp_path / "o.sqlite3") as store:
        order = await store.add_order(make_order(1))
        store._reader = Busy()
        assert (await store.find(order.order_id)) == order


async def test_a_lookup_leaves_no_read_transaction_open(tmp_path):
    path = tmp_path / "o.sqlite3"
    async with await OrderStore.open(path) as store:
        order = await store.add_order(make_order(1))
        assert await store.find(order.order_id) is not None
        other = sqlite3.connect(path, isolation_level=None)
        try:
            # (busy, frames in the log, frames checkpointed): nothing holds the WAL back.
            assert other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        finally:
            other.close()
