"""OrderStore.write_behind: a write the caller does not wait for, seen by every later call."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from tui_app.store import MetadataNotFound, OrderStatus, OrderStore

from .factories import make_order


def committed_status(path, order_id):
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT status FROM dydx_order_metadata WHERE order_id = ?", (order_id,)
        ).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


async def test_later_calls_see_the_write_behind(store):
    order = await store.add_order(make_order())
    task = store.write_behind(store.update_order(order.order_id, status=OrderStatus.ACTIVE))
    # Not waited for by the caller...
    assert not task.done()
    # ...but a lookup (which may read directly) and a list both come after it.
    assert (await store.get(order.order_id)).status is OrderStatus.ACTIVE
    assert [o.status for o in await store.list_orders()] == [OrderStatus.ACTIVE]
    assert task.done()


async def test_a_later_write_lands_after_the_write_behind(store):
    order = await store.add_order(make_order())
    store.write_behind(store.update_order(order.order_id, status=OrderStatus.ACTIVE))
    # Expects the write-behind's status: it must already be committed.
    updated = await store.update_order(
        order.order_id, status=OrderStatus.CANCEL_PENDING, expect=(OrderStatus.ACTIVE,)
    )
    assert updated.status is OrderStatus.CANCEL_PENDING


async def test_several_write_behinds_keep_their_order(store):
    order = await store.add_order(make_order())
    for status in (OrderStatus.ACTIVE, OrderStatus.CANCEL_PENDING, OrderStatus.CANCELLED):
        store.write_behind(store.update_order(order.order_id, status=status))
    assert (await store.get(order.order_id)).status is OrderStatus.CANCELLED


async def test_close_commits_what_was_written_behind(tmp_path):
    path = tmp_path / "orders.sqlite3"
    store = await OrderStore.open(path)
    order = await store.add_order(make_order())
    store.write_behind(store.update_order(order.order_id, status=OrderStatus.ACTIVE))
    await store.close()
    assert committed_status(path, order.order_id) == "active"


async def test_a_failed_write_behind_is_logged_and_blocks_nothing(store, caplog):
    task = store.write_behind(store.update_order("no-such-order", status=OrderStatus.ACTIVE))
    with caplog.at_level(logging.WARNING, logger="tui_app.store.store"):
        await asyncio.wait([task])
    assert isinstance(task.exception(), MetadataNotFound)
    assert "write-behind failed" in caplog.text
    assert await store.list_orders() == []
