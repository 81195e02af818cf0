"""reconcile() and the expiry watch against the devnet."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tui_app.chain.errors import OutcomeUnknown
from tui_app.chain.orders import ORDER_FLAGS_LONG_TERM, OrderKey, OrderSpec, Side, build_order
from tui_app.controller.requests import PlaceRequest
from tui_app.devnet.accounts import ALICE
from tui_app.ids import order_uuid
from tui_app.store import AuditAction, OrderStatus

from .conftest import close_harness, make_harness, wait_for


def buy(price: str, **kw) -> PlaceRequest:
    return PlaceRequest("BTC-USD", "BUY", Decimal("0.001"), Decimal(price), **kw)


async def test_orders_placed_elsewhere_are_recorded(h):
    block = await h.gateway.latest_block()
    key = OrderKey(ALICE.address, 0, 4242, 0, ORDER_FLAGS_LONG_TERM)
    gtbt = int(block.time.timestamp()) + 3600
    order = build_order(OrderSpec(key, Side.SELL, 20_000_000, 9_000_000_000,
                                  good_til_block_time=gtbt))  # fmt: skip
    assert (await h.gateway.place_order(order)).ok
    order_id = order_uuid(ALICE.address, 0, 4242, 0, ORDER_FLAGS_LONG_TERM)
    await wait_for(lambda: _indexer_has(h, order_id))
    summary = await h.controller.reconcile()
    assert summary.placed_elsewhere == 1 and summary.open_on_indexer >= 1
    record = await h.store.get(order_id)
    assert record.status is OrderStatus.ACTIVE and record.good_til_block_time == gtbt
    assert (record.side, record.quantity, record.price) == (
        "SELL",
        Decimal("0.002"),
        Decimal("90000"),
    )
    assert (await h.store.audit_log(order_id))[0].action is AuditAction.RECONCILE
    # Known now: a second reconcile records nothing new, and it can be cancelled.
    assert (await h.controller.reconcile()).placed_elsewhere == 0
    await h.controller.cancel(order_id)
    await wait_for(lambda: not h.chain_open_orders())


async def _indexer_has(h, order_id) -> bool:
    return any(o.id == order_id for o in await h.reader.open_orders())


async def test_pending_rows_are_settled(devnet, tmp_path):
    """A place whose answer was lost: found on the indexer -> active; a long-term one the
    indexer never saw -> rejected after the grace period."""
    h = await make_harness(devnet, tmp_path / "o.sqlite3", node_timeout=0.5,
                           confirm_grace_seconds=0.5)  # fmt: skip
    try:
        # The answer is lost on the way back: the node took the tx, the reply never came.
        real_place = h.gateway.place_order

        async def answer_lost(order, **kw):
            await real_place(order, **kw)
            raise OutcomeUnknown("connection lost after sending")

        h.gateway.place_order = answer_lost
        landed = await h.controller.place(buy("30000", long_term=True))
        h.gateway.place_order = real_place
        assert landed.status == "pending"
        # And one that never left (the node hung before taking it).
        h.controller.before_send = lambda action, ids: setattr(devnet.faults.grpc, "hang", True)
        lost = await h.controller.place(buy("30001", long_term=True))
        devnet.faults.grpc.hang = False
        h.controller.before_send = None
        assert lost.status == "pending"

        await wait_for(lambda: _indexer_has(h, landed.order_id))
        await asyncio.sleep(0.6)  # past the grace period
        summary = await h.controller.reconcile()
        assert summary.still_unknown == 0
        assert (await h.store.get(landed.order_id)).status is OrderStatus.ACTIVE
        lost_row = await h.store.get(lost.order_id)
        assert lost_row.status is OrderStatus.REJECTED and "never seen" in lost_row.last_error
        await h.controller.cancel_all()
    finally:
        devnet.faults.latency_ms = 0
        devnet.faults.grpc.hang = False
        await close_harness(h)


async def test_expiry_watch_marks_expired_orders(h):
    outcome = await h.controller.place(buy("30002", good_til_blocks=3))
    watch = asyncio.create_task(h.controller.run_expiry_watch(interval=0.1))
    try:
        await wait_for(lambda: _status_is(h, outcome.order_id, OrderStatus.EXPIRED))
    finally:
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)
    assert (await h.store.audit_log(outcome.order_id))[-1].action is AuditAction.EXPIRE


async def _status_is(h, order_id, status) -> bool:
    return (await h.store.get(order_id)).status is status


async def test_store_saying_finished_for_an_open_order_is_corrected(h):
    outcome = await h.controller.place(buy("30003", long_term=True))
    await wait_for(lambda: _indexer_has(h, outcome.order_id))
    # A wrong row (e.g. a bug, or an edit by hand): the chain is believed.
    await h.store.update_order(outcome.order_id, status=OrderStatus.CANCELLED)
    await h.controller.reconcile()
    assert (await h.store.get(outcome.order_id)).status is OrderStatus.ACTIVE
    await h.controller.cancel_all()
    await wait_for(lambda: not h.chain_open_orders())
