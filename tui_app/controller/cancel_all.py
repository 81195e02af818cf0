"""Cancel-all: every open order of the subaccount (or of a scope), as fast as the chain allows.

- Short-term orders go in MsgBatchCancel transactions of at most 100 ids (one subaccount,
  each market once per message). They need no sequence number, so all of them are sent
  at once (the gateway runs them on its pool of threads).
- Long-term orders go several per transaction (one sequence number each tx); a tx the
  chain refuses is retried order by order, so that one bad cancel does not sink the rest.
- Every order gets its own outcome; a failure never stops the others.
- Outcomes reach `on_progress` as the answers arrive. Their store writes are group
  committed: one transaction at a time, each taking every answer that arrived meanwhile
  (the batches are answered tens of ms apart; one transaction per answer would queue on
  the store's lock, one at the end would write every row after the last answer). `run`
  returns once all are written.
- With a live feed (the controller's `live` AccountState, its WebSocket up) the targets
  come from it and the store, not from a REST read of the indexer.
- Write first, then send: the targets are recorded as cancel_pending while the node is
  asked for the latest block (a round trip), and only then is anything sent. Targets that
  turn out to be expired by that block are not sent (their rows are settled with the
  answers); a node that cannot say the height puts every row back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tui_app.chain import errors as chain_errors
from tui_app.chain.orders import MAX_BATCH_CANCEL_IDS, OrderKey, build_cancel_order
from tui_app.controller import answers
from tui_app.controller.errors import ControllerError, NetworkError
from tui_app.controller.indexer import OPEN_INDEXER_STATUSES
from tui_app.controller.records import expiry_detail, is_expired
from tui_app.controller.requests import CancelAllReport, CancelOutcome, CancelResult, CancelScope
from tui_app.store import AuditAction, AuditEntry, AuditOutcome, OrderRecord, OrderStatus

if TYPE_CHECKING:
    from tui_app.chain.gateway import BlockInfo, BroadcastResult  # loads dydx_v4_client, grpc
    from tui_app.controller.controller import OrderController

log = logging.getLogger(__name__)


def plan_short_term_batches(
    records: Iterable[OrderRecord], max_ids: int = MAX_BATCH_CANCEL_IDS
) -> list[list[OrderRecord]]:
    """Groups of at most `max_ids` short-term orders of one subaccount, market by market
    (a message lists each clob pair once, with its client ids)."""
    by_subaccount: dict[tuple[str, int], list[OrderRecord]] = defaultdict(list)
    for record in records:
        by_subaccount[(record.owner, record.subaccount_number)].append(record)
    batches: list[list[OrderRecord]] = []
    for group in by_subaccount.values():
        group.sort(key=lambda r: (r.clob_pair_id, r.client_id))
        batches.extend(group[i : i + max_ids] for i in range(0, len(group), max_ids))
    return batches


def batch_message_fields(batch: Sequence[OrderRecord]) -> dict[int, list[int]]:
    ids: dict[int, list[int]] = defaultdict(list)
    for record in batch:
        ids[record.clob_pair_id].append(record.client_id)
    return dict(ids)


class CancelAll:
    def __init__(
        self,
        controller: OrderController,
        scope: CancelScope,
        on_progress: Callable[[CancelOutcome], None] | None,
    ) -> None:
        self.c = controller
        self.scope = scope
        self.on_progress = on_progress
        self.outcomes: list[CancelOutcome] = []
        # Store writes of the answers, group committed (see the module docstring).
        self._updates: list[dict[str, Any]] = []
        self._audits: list[AuditEntry] = []
        self._writing: asyncio.Task[None] | None = None
        self._write_error: Exception | None = None  # the first, raised by `_flush`

    async def run(self) -> CancelAllReport:
        c = self.c
        # The height is a round trip to the node: asked first, answered while the targets
        # are read and recorded (see the module docstring).
        asking = asyncio.ensure_future(c._latest_block())
        try:
            targets = await self._targets()
            if targets:
                await self._record_attempt(targets)
        except BaseException:
            await _abandon(asking)
            raise
        if not targets:
            await _abandon(asking)
            return CancelAllReport(())
        try:
            block = await asking
        except Exception as exc:  # NetworkError, or a bug: nothing was sent either way
            await self._not_sent(targets, f"not sent: {exc}")
            raise
        todo = [r for r in targets if not is_expired(r, block)]
        self._settle_expired([r for r in targets if is_expired(r, block)], block)
        if not todo:
            await self._flush()
            return CancelAllReport(tuple(self.outcomes))
        log.info("cancel-all: %d orders recorded as cancel_pending; sending", len(todo))
        await c._before_send("cancel_all", [r.order_id for r in todo])
        short = [r for r in todo if r.is_short_term]
        stateful = [r for r in todo if not r.is_short_term]
        batches = plan_short_term_batches(short, c.settings.batch_cancel_size)
        jobs = [self._short_batch(b, block) for b in batches]
        if stateful:
            jobs.append(self._stateful(stateful, block))
        try:
            # return_exceptions: one failing job must not abandon the others mid-flight.
            for result in await asyncio.gather(*jobs, return_exceptions=True):
                if isinstance(result, BaseException):
                    log.error("cancel-all job failed: %r", result)
        finally:
            await self._flush()
        done = {o.order_id for o in self.outcomes}
        for r in todo:
            if r.order_id not in done:
                message = "cancel-all stopped before this order's answer"
                self._emit(CancelOutcome(r.order_id, r.symbol, CancelResult.UNKNOWN, message))
        return CancelAllReport(tuple(self.outcomes))

    async def _record_attempt(self, targets: list[OrderRecord]) -> None:
        await self.c.store.update_orders(
            [r.order_id for r in targets],
            status=OrderStatus.CANCEL_PENDING,
            audit=[
                AuditEntry(r.order_id, AuditAction.CANCEL, AuditOutcome.ATTEMPT,
                           detail=f"cancel-all, from {r.status.value}")
                for r in targets
            ],
        )  # fmt: skip

    async def _not_sent(self, targets: list[OrderRecord], detail: str) -> None:
        """Every row back to what it was before the attempt (nothing was sent)."""
        self._back(targets, AuditAction.CANCEL, AuditOutcome.ERROR, detail)
        await self._flush()

    def _settle_expired(self, expired: list[OrderRecord], block: BlockInfo) -> None:
        """Queue the rows of orders past their good-til: expired, except pending ones (they
        may never have reached the chain: reconciliation decides), which go back."""
        pending = [r for r in expired if r.status is OrderStatus.PENDING]
        if pending:
            self._update(
                pending, status=OrderStatus.PENDING, expect=(OrderStatus.CANCEL_PENDING,),
                audit=[AuditEntry(r.order_id, AuditAction.EXPIRE, AuditOutcome.ALREADY_DONE,
                                  detail=f"{expiry_detail(r, block)}; not sent")
                       for r in pending],
            )  # fmt: skip
        done = [r for r in expired if r.status is not OrderStatus.PENDING]
        if done:
            self._update(
                done, status=OrderStatus.EXPIRED,
                audit=[AuditEntry(r.order_id, AuditAction.EXPIRE, AuditOutcome.ALREADY_DONE,
                                  detail=expiry_detail(r, block)) for r in done],
            )  # fmt: skip
        for r in expired:
            self._emit(CancelOutcome(r.order_id, r.symbol, CancelResult.ALREADY_DONE,
                                     "already expired"))  # fmt: skip

    # ----- which orders -----------------------------------------------------------------------

    async def _targets(self) -> list[OrderRecord]:
        c, scope = self.c, self.scope
        rows = {r.order_id: r for r in await c.store.open_orders(symbol=scope.market)}
        seen = self._live_open_orders()
        if seen is None:
            try:
                seen = await c.indexer.open_orders(ticker=scope.market)
            except (NetworkError, chain_errors.GatewayError) as exc:
                log.warning(
                    "cancel-all: indexer unavailable (%s); cancelling the store's orders", exc
                )
                seen = []
        for order in seen:
            if order.id in rows:
                continue
            known = await c.store.find(order.id)
            try:
                if known is None:
                    rows[order.id] = await c.adopt(order, reason="open on the indexer (cancel-all)")
                else:
                    # The store thought it finished, the indexer shows it open: cancel it.
                    updated = await c._set_status(
                        order.id, OrderStatus.ACTIVE,
                        audit=AuditEntry(
                            order.id, AuditAction.RECONCILE, AuditOutcome.ACCEPTED,
                            detail=f"was {known.status.value}; indexer: {order.status}",
                        ),
                    )  # fmt: skip
                    if updated is not None:
                        rows[order.id] = updated
            except ControllerError as exc:
                log.warning("cancel-all: cannot take order %s: %s", order.id, exc)
        chosen = []
        for r in rows.values():
            if scope.side is not None and r.side != scope.side.upper():
                continue
            if scope.order_ids is not None and r.order_id not in scope.order_ids:
                continue
            # Best-effort cancelled orders are cancelled already: the trader does not see
            # them as open, so cancel-all neither resends nor reports them.
            if r.status in _CANCELLABLE:
                chosen.append(r)
        return chosen

    def _live_open_orders(self) -> list[Any] | None:
        """The open orders of the feed's live account state, or None when it has none
        that can be trusted (no live WebSocket, no snapshot yet, a resync pending)."""
        live = self.c.live
        if live is None or not getattr(live, "feed_live", False):
            return None
        if not getattr(live, "snapshot_received", False) or getattr(live, "needs_resync", True):
            return None
        open_orders = getattr(live, "open_orders", None)
        if open_orders is None:
            return None
        market = self.scope.market
        return [
            t.data
            for t in open_orders()
            if t.data.status in OPEN_INDEXER_STATUSES and (market is None or t.ticker == market)
        ]

    # ----- short-term -------------------------------------------------------------------------

    async def _short_batch(self, batch: list[OrderRecord], block: BlockInfo) -> None:
        c = self.c
        # One GTB for the whole message: >= every order's own, so each cancel removes it.
        gtb = max(max(r.good_til_block or 0 for r in batch), block.height + 1)
        fields = batch_message_fields(batch)
        await c.cancel_bucket.take()
        try:
            with c._retries_of(*(r.order_id for r in batch)):
                result = await c._send_with_retries(
                    lambda: c.gateway.batch_cancel(
                        c.settings.subaccount_number, fields, gtb, timeout=c.settings.node_timeout
                    ),
                    classify=answers.classify_cancel,
                )
        except chain_errors.OutcomeUnknown as exc:
            await self._unknown(batch, AuditAction.BATCH_CANCEL, str(exc))
            return
        except NetworkError as exc:
            await self._failed(batch, AuditAction.BATCH_CANCEL, str(exc))
            return
        if result.ok:
            await self._best_effort(batch, result, block)
        elif (result.codespace, result.code) == answers.BATCH_NONE_SUCCEEDED:
            # The response does not say why: ask order by order (e.g. already cancelled).
            for record in batch:
                await self._one(record, block)
        else:
            await self._failed(batch, AuditAction.BATCH_CANCEL, answers.describe(result), result)

    async def _best_effort(
        self, batch: list[OrderRecord], result: BroadcastResult, block: BlockInfo
    ) -> None:
        c = self.c
        self._update(
            batch,
            status=OrderStatus.BEST_EFFORT_CANCELLED,
            cancel_tx_hash=result.txhash,
            cancelled_at=c.clock(),
            audit=[
                AuditEntry(r.order_id, AuditAction.BATCH_CANCEL, AuditOutcome.ACCEPTED,
                           code=0, detail=f"batch of {len(batch)}", tx_hash=result.txhash)
                for r in batch
            ],
        )  # fmt: skip
        for r in batch:
            left = max(0, (r.good_til_block or 0) - block.height)
            self._emit(CancelOutcome(r.order_id, r.symbol, CancelResult.BEST_EFFORT,
                                     f"best effort until block {r.good_til_block}",
                                     result.txhash, left))  # fmt: skip

    # ----- stateful ---------------------------------------------------------------------------

    async def _stateful(self, records: list[OrderRecord], block: BlockInfo) -> None:
        c = self.c
        size = max(1, c.settings.stateful_cancels_per_tx)
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            msgs = [
                build_cancel_order(
                    OrderKey.decode(r.order_id_proto), good_til_block_time=r.good_til_block_time
                )
                for r in chunk
            ]
            await c.cancel_bucket.take()
            try:
                with c._retries_of(*(r.order_id for r in chunk)):
                    result = await c._send_with_retries(
                        lambda msgs=msgs: c.gateway.broadcast_stateful(
                            msgs, timeout=c.settings.node_timeout
                        ),
                        classify=answers.classify_cancel,
                    )
            except chain_errors.OutcomeUnknown as exc:
                await self._unknown(chunk, AuditAction.CANCEL, str(exc))
                continue
            except NetworkError as exc:
                await self._failed(chunk, AuditAction.CANCEL, str(exc))
                continue
            if result.ok:
                await self._sent(chunk, result)
            elif len(chunk) == 1:
                self._emit(await c._record_cancel_answer(chunk[0], chunk[0].status, result, block))
            else:
                # One refused cancel fails the whole tx: find out order by order.
                log.info("stateful cancel tx refused (%s); one by one", answers.describe(result))
                for record in chunk:
                    await self._one(record, block)

    async def _sent(self, chunk: list[OrderRecord], result: BroadcastResult) -> None:
        self._update(
            chunk,
            status=OrderStatus.CANCEL_PENDING,
            cancel_tx_hash=result.txhash,
            audit=[
                AuditEntry(r.order_id, AuditAction.CANCEL, AuditOutcome.ACCEPTED, code=0,
                           detail=f"stateful tx of {len(chunk)}", tx_hash=result.txhash)
                for r in chunk
            ],
        )  # fmt: skip
        for r in chunk:
            self._emit(CancelOutcome(r.order_id, r.symbol, CancelResult.SENT,
                                     "cancel accepted: takes effect in the next block",
                                     result.txhash))  # fmt: skip

    # ----- outcomes ---------------------------------------------------------------------------

    async def _one(self, record: OrderRecord, block: BlockInfo) -> None:
        await self.c.cancel_bucket.take()
        try:
            outcome = await self.c._cancel_one(record, block)
        except ControllerError as exc:
            outcome = CancelOutcome(record.order_id, record.symbol, CancelResult.FAILED, str(exc))
        self._emit(outcome)

    async def _unknown(self, records: list[OrderRecord], action: AuditAction, detail: str) -> None:
        # Rows stay cancel_pending: reconciliation learns what happened.
        self._audits.extend(
            AuditEntry(r.order_id, action, AuditOutcome.UNKNOWN, detail=detail) for r in records
        )
        self._write_soon()
        for r in records:
            self._emit(CancelOutcome(r.order_id, r.symbol, CancelResult.UNKNOWN,
                                     f"no answer in time: {detail}"))  # fmt: skip

    async def _failed(
        self,
        records: list[OrderRecord],
        action: AuditAction,
        detail: str,
        result: BroadcastResult | None = None,
    ) -> None:
        outcome = AuditOutcome.REJECTED if result is not None else AuditOutcome.ERROR
        code = result.code if result is not None else None
        self._back(records, action, outcome, detail, code)
        for r in records:
            self._emit(CancelOutcome(r.order_id, r.symbol, CancelResult.FAILED, detail))

    def _back(
        self,
        records: Sequence[OrderRecord],
        action: AuditAction,
        outcome: AuditOutcome,
        detail: str,
        code: int | None = None,
    ) -> None:
        """Queue each row back to its status before the attempt, with `detail` as its error."""
        by_status: dict[OrderStatus, list[OrderRecord]] = defaultdict(list)
        for r in records:
            by_status[r.status].append(r)
        for status, group in by_status.items():
            # Only rows still cancel_pending: one that moved on meanwhile is left alone.
            self._update(
                group, status=status, expect=(OrderStatus.CANCEL_PENDING,), last_error=detail,
                audit=[AuditEntry(r.order_id, action, outcome, code=code, detail=detail)
                       for r in group],
            )  # fmt: skip

    def _update(
        self, records: Sequence[OrderRecord], *, audit: Sequence[AuditEntry], **fields: Any
    ) -> None:
        """Queue an `update_orders`: written soon, with whatever else is queued by then."""
        self._updates.append({"order_ids": [r.order_id for r in records], **fields})
        self._audits.extend(audit)
        self._write_soon()

    def _write_soon(self) -> None:
        if self._writing is None:
            self._writing = asyncio.ensure_future(self._write_queued())

    async def _write_queued(self) -> None:
        """One transaction at a time, each with everything queued when it starts."""
        try:
            while self._updates or self._audits:
                updates, audits = self._updates, self._audits
                self._updates, self._audits = [], []
                await self.c.store.update_orders_together(updates, audit=audits)
        except Exception as exc:
            log.error("cancel-all: writing the answers failed: %r", exc)
            self._write_error = self._write_error or exc
        finally:
            self._writing = None

    async def _flush(self) -> None:
        """Until every queued write is made; then raise the first write's error, if any."""
        while self._writing is not None:
            await asyncio.shield(self._writing)  # a cancelled caller leaves it writing
        if self._write_error is not None:
            error, self._write_error = self._write_error, None
            raise error

    def _emit(self, outcome: CancelOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_progress is not None:
            try:
                self.on_progress(outcome)
            except Exception:
                log.exception("cancel-all progress callback failed")


async def _abandon(task: asyncio.Future[Any]) -> None:
    """Cancel a request whose answer is no longer needed, and wait for it to end."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


_CANCELLABLE = frozenset(
    {OrderStatus.PENDING, OrderStatus.ACTIVE, OrderStatus.CANCEL_PENDING, OrderStatus.UNKNOWN}
)
