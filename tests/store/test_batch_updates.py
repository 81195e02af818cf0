"""update_orders / add_audits: many rows in one transaction (cancel-all's bookkeeping)."""

from __future__ import annotations

from tui_app.store import AuditAction, AuditEntry, AuditOutcome, OrderStatus, OrderStore

from .factories import make_order


async def test_update_orders_changes_only_expected_rows_with_their_audit(tmp_path):
    async with await OrderStore.open(tmp_path / "o.sqlite3") as store:
        orders = [make_order(i) for i in range(600)]  # more than one IN (...) chunk
        await store.add_orders(orders)
        await store.update_order(orders[0].order_id, status=OrderStatus.FILLED)
        ids = [o.order_id for o in orders] + ["missing", orders[1].order_id]
        audit = [AuditEntry(o.order_id, AuditAction.BATCH_CANCEL, AuditOutcome.ACCEPTED,
                            tx_hash="AB") for o in orders[1:]]  # fmt: skip
        changed = await store.update_orders(
            ids, status=OrderStatus.BEST_EFFORT_CANCELLED, cancel_tx_hash="AB",
            expect=(OrderStatus.PENDING,), audit=audit,
        )  # fmt: skip
        assert changed == [o.order_id for o in orders[1:]]
        assert (await store.get(orders[0].order_id)).status is OrderStatus.FILLED
        row = await store.get(orders[599].order_id)
        assert row.status is OrderStatus.BEST_EFFORT_CANCELLED and row.cancel_tx_hash == "AB"
        assert len(await store.audit_log(limit=10_000)) == 599
        await store.add_audits(
            AuditEntry(o.order_id, AuditAction.RECONCILE, AuditOutcome.ACCEPTED) for o in orders[:2]
        )
        assert [a.action for a in await store.audit_log(orders[1].order_id)] == [
            AuditAction.BATCH_CANCEL,
            AuditAction.RECONCILE,
        ]
        assert await store.update_orders([], status=OrderStatus.CANCELLED) == []
