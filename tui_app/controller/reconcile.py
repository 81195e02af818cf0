"""Reconciliation: make the store agree with the indexer, at start and on demand.

- pending rows (outcome unknown) found on the indexer become active/filled/cancelled;
  short-term ones whose good-til-block passed unseen, and long-term ones unseen after a
  grace period, were never placed: rejected;
- active (and cancel-pending) rows whose order is gone take the indexer's final status;
- orders open on the indexer that the store lacks (placed elsewhere) are recorded;
- what has expired by the current block is marked expired, and best-effort cancels whose
  good-til-block passed become final.

Few requests: the open orders and the latest orders of the subaccount come as two lists
(the REST API is rate limited per IP); single lookups only for rows missing from a full list.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from tui_app.controller.errors import ControllerError, NetworkError
from tui_app.controller.indexer import LIST_LIMIT
from tui_app.controller.records import indexer_status_to_store, is_expired
from tui_app.controller.requests import ReconcileSummary
from tui_app.models import IndexerOrder
from tui_app.store import AuditAction, AuditEntry, AuditOutcome, OrderRecord, OrderStatus

if TYPE_CHECKING:
    from tui_app.chain.gateway import BlockInfo  # loads dydx_v4_client and grpc
    from tui_app.controller.controller import OrderController

log = logging.getLogger(__name__)

MAX_SINGLE_LOOKUPS = 20
S = OrderStatus


async def expire_due(c: OrderController, block: BlockInfo) -> int:
    """Expired open rows -> expired; best-effort cancels past their GTB -> cancelled."""
    rows = await c.store.open_orders()
    due = [r for r in rows if is_expired(r, block)]
    ended = [r for r in due if r.status in (S.BEST_EFFORT_CANCELLED, S.CANCEL_PENDING)]
    lapsed = [r for r in due if r not in ended and r.status is not S.PENDING]
    changed = 0
    if ended:
        changed += len(await c.store.update_orders(
            [r.order_id for r in ended],
            status=S.CANCELLED,
            expect=(S.BEST_EFFORT_CANCELLED, S.CANCEL_PENDING),
            audit=[AuditEntry(r.order_id, AuditAction.EXPIRE, AuditOutcome.ALREADY_DONE,
                              detail="cancel final: good-til passed") for r in ended],
        ))  # fmt: skip
    if lapsed:
        changed += len(await c.store.update_orders(
            [r.order_id for r in lapsed], status=S.EXPIRED, expect=(S.ACTIVE, S.UNKNOWN),
            audit=[AuditEntry(r.order_id, AuditAction.EXPIRE, AuditOutcome.ALREADY_DONE,
                              detail="good-til passed") for r in lapsed],
        ))  # fmt: skip
    return changed


class Reconciler:
    def __init__(self, controller: OrderController) -> None:
        self.c = controller
        self.settled = 0
        self.details: list[str] = []

    async def run(self) -> ReconcileSummary:
        c = self.c
        open_now = await c.indexer.open_orders()
        latest = await c.indexer.latest_orders()
        block = await c._latest_block()
        seen: dict[str, IndexerOrder] = {o.id: o for o in latest}
        seen.update({o.id: o for o in open_now})  # the open list is the authority on "open"
        rows = await c.store.open_orders()
        missing = [r for r in rows if r.order_id not in seen]
        if missing and len(latest) >= LIST_LIMIT:
            await self._look_up(missing[:MAX_SINGLE_LOOKUPS], seen)
        for row in rows:
            try:
                await self._settle(row, seen.get(row.order_id), block)
            except ControllerError as exc:
                self.details.append(f"{row.order_id}: {exc}")
        elsewhere = await self._record_elsewhere(open_now)
        self.settled += await expire_due(c, block)
        still = await c.store.list_orders(statuses=(S.PENDING, S.UNKNOWN))
        await self._refresh_collateral()
        summary = ReconcileSummary(
            open_on_indexer=len(open_now),
            settled=self.settled,
            placed_elsewhere=elsewhere,
            still_unknown=len(still),
            details=tuple(self.details),
        )
        log.info("reconciled: %s", summary)
        return summary

    async def _look_up(self, rows: list[OrderRecord], seen: dict[str, IndexerOrder]) -> None:
        for row in rows:
            found = await self.c.indexer.order(row.order_id)
            if found is not None:
                seen[found.id] = found

    async def _settle(self, row: OrderRecord, order: IndexerOrder | None, block: BlockInfo) -> None:
        if order is not None:
            await self._apply_indexer(row, order, block)
        elif is_expired(row, block) and row.status in (S.PENDING, S.UNKNOWN):
            await self._set(row, S.REJECTED, "never seen by the indexer; its good-til passed")
        elif row.status is S.PENDING and not row.is_short_term:
            age = self.c.clock() - row.placed_at
            if age > timedelta(seconds=self.c.settings.confirm_grace_seconds):
                await self._set(row, S.REJECTED, f"never seen by the indexer in {age.seconds} s")

    async def _apply_indexer(self, row: OrderRecord, order: IndexerOrder, block: BlockInfo) -> None:
        target = indexer_status_to_store(order)
        if (
            target is S.CANCELLED
            and not order.removal_reason
            and row.status in (S.ACTIVE, S.PENDING, S.UNKNOWN)
            and is_expired(row, block)
        ):
            # The indexer's short shape for a short-term order gives no reason; we never
            # sent a cancel and its good-til passed: it expired.
            target = S.EXPIRED
        if target is S.UNKNOWN or target is row.status:
            return
        if target is S.ACTIVE:
            # Placed (pending -> active). A short-term cancel acts at once: an order still
            # open after one did not get cancelled. A stateful cancel waits for its block.
            if row.status in (S.PENDING, S.UNKNOWN) or (
                row.status is S.CANCEL_PENDING and row.is_short_term
            ):
                await self._set(row, S.ACTIVE, f"indexer: {order.status}")
            return
        if target is S.BEST_EFFORT_CANCELLED and row.status is S.BEST_EFFORT_CANCELLED:
            return
        await self._set(
            row, target, f"indexer: {order.status} {order.removal_reason or ''}".strip()
        )

    async def _set(self, row: OrderRecord, status: OrderStatus, detail: str) -> None:
        fields = {}
        if status in (S.CANCELLED, S.BEST_EFFORT_CANCELLED) and row.cancelled_at is None:
            fields["cancelled_at"] = self.c.clock()
        if status is S.REJECTED:
            fields["last_error"] = detail
        updated = await self.c._set_status(
            row.order_id, status, expect=(row.status,),
            audit=AuditEntry(row.order_id, AuditAction.RECONCILE, AuditOutcome.ACCEPTED,
                             detail=f"{row.status.value} -> {status.value}: {detail}"),
            **fields,
        )  # fmt: skip
        if updated is not None:
            self.settled += 1
            self.details.append(f"{row.order_id}: {row.status.value} -> {status.value}")

    async def _record_elsewhere(self, open_now: list[IndexerOrder]) -> int:
        count = 0
        for order in open_now:
            known = await self.c.store.find(order.id)
            if known is not None:
                if known.status.is_final and known.status is not S.FILLED:
                    # The store thought it over, the indexer shows it open: believe the chain.
                    await self._set(known, S.ACTIVE, f"open on the indexer ({order.status})")
                continue
            try:
                await self.c.adopt(order, reason="open on the indexer, placed elsewhere")
                count += 1
            except ControllerError as exc:
                self.details.append(f"{order.id}: not recorded: {exc}")
        return count

    async def _refresh_collateral(self) -> None:
        try:
            subaccount = await self.c.indexer.subaccount()
        except NetworkError:
            return
        if subaccount is not None:
            self.c.free_collateral = subaccount.free_collateral
