# ruff: noqa: ASYNC109 (the Node protocol mirrors NodeGateway: each call has a deadline)
"""OrderController: place, cancel, cancel-all, close, reconcile. No UI imports.

Built from injected parts so that the TUI, the CLI and the tests share it:

    controller = OrderController(store=store, gateway=gateway, indexer=reader,
                                 markets=IndexerMarkets(reader), settings=settings)
    outcome = await controller.place(PlaceRequest("BTC-USD", "BUY", Decimal("0.001"), ...))

The order of things in `place` is the point of this class: validate, allocate a client id,
COMMIT the `pending` row, and only then broadcast (the tx is signed on the gateway's
thread during the commit, and held until it is done). A crash at any moment leaves
either nothing sent, or a row that says what may have been sent (reliability notes).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tui_app.chain import errors as chain_errors
from tui_app.chain.orders import (
    ORDER_FLAGS_LONG_TERM,
    ORDER_FLAGS_SHORT_TERM,
    OrderKey,
    OrderSpec,
    build_order,
)
from tui_app.chain.permit import SendPermit
from tui_app.chain.retry_notice import retry_listener
from tui_app.controller import answers
from tui_app.controller.answers import Meaning
from tui_app.controller.errors import (
    AlreadyCancelled,
    AlreadyFilled,
    ChainRejected,
    ControllerError,
    InvalidMetadata,
    InvalidOrder,
    MetadataNotFound,
    NetworkError,
    OrderExpired,
    RateLimited,
)
from tui_app.controller.indexer import IndexerReader
from tui_app.controller.markets import MarketsSource
from tui_app.controller.ratelimit import TokenBucket
from tui_app.controller.recent_block import PushedBlock, RecentBlock
from tui_app.controller.records import (
    expiry_detail,
    indexer_status_to_store,
    is_expired,
    record_from_indexer,
)
from tui_app.controller.requests import (
    CancelAllReport,
    CancelOutcome,
    CancelResult,
    CancelScope,
    OrderType,
    PlaceOutcome,
    PlaceRequest,
    ReconcileSummary,
    TimeInForceChoice,
)
from tui_app.controller.settings import ControllerSettings
from tui_app.controller.validation import ValidatedOrder, validate
from tui_app.ids import order_uuid, subaccount_uuid
from tui_app.models import IndexerOrder
from tui_app.store import (
    AuditAction,
    AuditEntry,
    AuditOutcome,
    DuplicateOrder,
    OrderRecord,
    OrderStatus,
    OrderStore,
    StatusConflict,
)
from tui_app.store.models import utc_now

if TYPE_CHECKING:  # the gateway loads dydx_v4_client and grpc (~0.7 s); annotations only
    from tui_app.chain.gateway import BlockInfo, BroadcastResult

log = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U")
Hook = Callable[[str, Sequence[str]], Awaitable[None] | None]
# on_retry(order_id, attempt, limit): attempt 1..limit before each node retry, 0 when over.
RetryHook = Callable[[str, int, int], None]

# Statuses from which a cancel may be sent.
CANCELLABLE = frozenset(
    {OrderStatus.PENDING, OrderStatus.ACTIVE, OrderStatus.CANCEL_PENDING, OrderStatus.UNKNOWN}
)
MAX_TRANSIENT_RETRIES = 3


class Node(Protocol):
    """What the controller needs of tui_app.chain.gateway.NodeGateway (each call takes
    its own deadline, as NodeGateway's do)."""

    async def latest_block(self, *, timeout: float | None = None) -> BlockInfo: ...

    async def place_order(
        self, order: Any, *, timeout: float | None = None, permit: SendPermit | None = None
    ) -> BroadcastResult: ...

    async def cancel_order(
        self,
        order_id: Any,
        *,
        good_til_block: int | None = None,
        good_til_block_time: int | None = None,
        timeout: float | None = None,
    ) -> BroadcastResult: ...

    async def batch_cancel(
        self,
        subaccount_number: int,
        batches: Any,
        good_til_block: int,
        *,
        timeout: float | None = None,
    ) -> BroadcastResult: ...

    async def broadcast_stateful(
        self, msgs: Sequence[Any], *, timeout: float | None = None
    ) -> BroadcastResult: ...


class LiveAccount(Protocol):
    """Optional fast lookups from the feed's AccountState (no request needed)."""

    free_collateral: Decimal | None
    block_height: int | None  # the indexer's, as the feed heard it
    block_time: datetime | None
    block_heard_at: float | None  # time.monotonic() when block_height last rose

    def order(self, order_id: str) -> Any: ...  # a TrackedOrder with `.data` (IndexerOrder)

    @property
    def positions(self) -> Any: ...


class OrderController:
    def __init__(
        self,
        *,
        store: OrderStore,
        gateway: Node,
        indexer: IndexerReader,
        markets: MarketsSource,
        settings: ControllerSettings,
        clock: Callable[[], datetime] = utc_now,
        live: LiveAccount | None = None,
        before_send: Hook | None = None,
        on_retry: RetryHook | None = None,
    ) -> None:
        """`before_send(action, order_ids)` runs after the rows are committed and right
        before the broadcast (tests and crash drills use it).

        `on_retry(order_id, attempt, limit)` (also settable as an attribute) hears of the
        node retries of a place or cancel of that order, on this controller's loop:
        attempt 1..limit before each retry, then attempt 0 once the sending is over."""
        self.store = store
        self.gateway = gateway
        self.indexer = indexer
        self.markets = markets
        self.settings = settings
        self.clock = clock
        self.live = live
        self.before_send = before_send
        self.on_retry = on_retry
        self.cancel_bucket = TokenBucket(settings.cancel_rate_per_second, settings.cancel_burst)
        self.subaccount_id = subaccount_uuid(settings.owner, settings.subaccount_number)
        self.free_collateral: Decimal | None = None  # last known, when no live state
        # Places in quick succession share one height (cancels always ask the node).
        # Places take a fresh height from the live feed, or share one the node named
        # a moment ago (cancels always ask the node).
        self.recent_block = RecentBlock(
            self._ask_latest_block, max_age=settings.height_reuse_seconds,
            pushed=None if live is None else functools.partial(_pushed_block, live),
        )  # fmt: skip

    # ----- place -------------------------------------------------------------------------

    async def place(self, request: PlaceRequest) -> PlaceOutcome:
        """Validate, record as pending, broadcast, record the outcome.

        Returns the outcome (status active, or pending when the node did not answer in
        time). Raises InvalidOrder (nothing recorded), ChainRejected (row rejected) or
        NetworkError (nothing sent; row rejected).
        """
        needs_price = request.order_type == OrderType.MARKET and request.price is None
        market = await self.markets.market(request.market, fresh_price=needs_price)
        order = validate(request, market, self.settings, free_collateral=self._free_collateral())
        good_til_block = good_til_block_time = None
        if order.long_term:
            good_til_block_time = int(self.clock().timestamp()) + order.good_til_seconds
            client_id = await self.store.next_client_id()
        else:
            # A short-term order needs no sequence: only the height, never the account.
            # The client id comes from the store's committed reserve; when that is empty,
            # the next one is committed during this round trip (an id the order then
            # does not use is merely skipped).
            block, client_id = await _both(self.recent_block.get(), self.store.next_client_id())
            good_til_block = block.height + order.good_til_blocks
        record = self._pending_record(order, client_id, good_til_block, good_til_block_time)
        spec = OrderSpec(
            key=OrderKey.decode(record.order_id_proto),
            side=order.side,
            quantums=order.quantums,
            subticks=order.subticks,
            time_in_force=order.time_in_force,
            reduce_only=order.reduce_only,
            good_til_block=good_til_block,
            good_til_block_time=good_til_block_time,
        )
        message = build_order(spec)
        with self._retries_of(record.order_id):
            # Signed on the gateway's worker while the row is committed here (its fsync
            # lets go of the GIL); broadcast only once the row is committed.
            permit = SendPermit()
            first_try = asyncio.ensure_future(self._place_on_node(message, permit))
            # Without a before_send hook, the database thread grants the permit right
            # after COMMIT: the tx leaves without waiting for this loop to hear of it.
            granted_at_commit = permit.grant if self.before_send is None else None
            try:
                record = await self._commit_pending(record, on_commit=granted_at_commit)
                log.info("order %s recorded as pending; broadcasting", record.order_id)
                await self._before_send("place", [record.order_id])
            except BaseException:
                permit.refuse()  # nothing leaves without its committed row (no-op once granted)
                await asyncio.gather(first_try, return_exceptions=True)
                raise
            permit.grant()
            return await self._broadcast_place(record, message, first_try)

    async def _place_on_node(
        self, message: Any, permit: SendPermit | None = None
    ) -> BroadcastResult:
        extra = {} if permit is None else {"permit": permit}
        return await self.gateway.place_order(message, timeout=self.settings.node_timeout,
                                              **extra)  # fmt: skip

    def _pending_record(
        self, order: ValidatedOrder, client_id: int, gtb: int | None, gtbt: int | None
    ) -> OrderRecord:
        s = self.settings
        flags = ORDER_FLAGS_LONG_TERM if order.long_term else ORDER_FLAGS_SHORT_TERM
        key = OrderKey(s.owner, s.subaccount_number, client_id, order.market.clob_pair_id, flags)
        order_id = order_uuid(s.owner, s.subaccount_number, client_id, key.clob_pair_id, flags)
        return OrderRecord(
            order_id=order_id,
            owner=key.owner,
            subaccount_number=key.subaccount_number,
            client_id=client_id,
            order_flags=flags,
            clob_pair_id=key.clob_pair_id,
            order_id_proto=key.encode(),
            good_til_block=gtb,
            good_til_block_time=gtbt,
            symbol=order.market.ticker,
            side=order.side.name,
            quantity=Decimal(order.size),
            quantums=order.quantums,
            price=order.price,
            subticks=order.subticks,
            order_type=order.order_type.value.upper(),
            time_in_force=order.time_in_force.value,
            reduce_only=order.reduce_only,
            post_only=order.post_only,
            placed_at=self.clock(),
            status=OrderStatus.PENDING,
        )

    async def _commit_pending(
        self, record: OrderRecord, on_commit: Callable[[], None] | None = None
    ) -> OrderRecord:
        gtb, gtbt = record.good_til_block, record.good_til_block_time
        detail = (
            f"{record.side} {record.quantity} {record.symbol} @ {record.price} "
            f"{record.time_in_force} {'GTBT ' + str(gtbt) if gtbt else 'GTB ' + str(gtb)}"
        )
        # Committed (fsync'd) before the order is broadcast: the heart of crash safety.
        # (It may be signed meanwhile: a signed tx that never leaves this process is
        # nothing the chain can know of.)
        return await self.store.add_order(
            record,
            audit=AuditEntry(record.order_id, AuditAction.PLACE, AuditOutcome.ATTEMPT,
                             detail=detail),
            on_commit=on_commit,
        )  # fmt: skip

    async def _broadcast_place(
        self, record: OrderRecord, message: Any, first_try: Awaitable[BroadcastResult]
    ) -> PlaceOutcome:
        """`first_try`: the broadcast started with the commit; retries send `message` anew."""
        order_id = record.order_id
        tries = [first_try]

        def send() -> Awaitable[BroadcastResult]:
            return tries.pop() if tries else self._place_on_node(message)

        try:
            result = await self._send_with_retries(send, classify=answers.classify_place)
        except chain_errors.OutcomeUnknown as exc:
            await self.store.add_audit(
                AuditEntry(order_id, AuditAction.PLACE, AuditOutcome.UNKNOWN, detail=str(exc))
            )
            return PlaceOutcome(
                order_id, OrderStatus.PENDING.value, None,
                f"no answer in time ({exc}); the order may be live: reconciliation will settle it",
            )  # fmt: skip
        except NetworkError as exc:
            await self._set_status(
                order_id, OrderStatus.REJECTED, expect=(OrderStatus.PENDING,),
                last_error=f"not sent: {exc}",
                audit=AuditEntry(order_id, AuditAction.PLACE, AuditOutcome.ERROR, detail=str(exc)),
            )  # fmt: skip
            raise
        meaning = answers.classify_place(result)
        if meaning in (Meaning.ACCEPTED, Meaning.ALREADY_DONE):
            outcome = AuditOutcome.ACCEPTED if result.ok else AuditOutcome.ALREADY_DONE
            # Written behind: the caller does not wait for this commit. Every later store
            # call sees it; a crash before it commits leaves the row pending (with all it
            # takes to cancel the order), and reconciliation makes it active.
            self.store.write_behind(self._set_status(
                order_id, OrderStatus.ACTIVE, expect=(OrderStatus.PENDING,), tx_hash=result.txhash,
                audit=AuditEntry(order_id, AuditAction.PLACE, outcome, code=result.code,
                                 detail=answers.describe(result), tx_hash=result.txhash),
            ))  # fmt: skip
            return PlaceOutcome(order_id, OrderStatus.ACTIVE.value, result.txhash, "accepted")
        if (result.codespace, result.code) == answers.GTB_IN_PAST:
            self.recent_block.distrust()  # the height it counted from was stale: ask next time
        await self._set_status(
            order_id, OrderStatus.REJECTED, expect=(OrderStatus.PENDING,), tx_hash=result.txhash,
            last_error=answers.describe(result),
            audit=AuditEntry(order_id, AuditAction.PLACE, AuditOutcome.REJECTED, code=result.code,
                             detail=answers.describe(result), tx_hash=result.txhash),
        )  # fmt: skip
        raise ChainRejected(result.codespace, result.code, result.raw_log, order_id=order_id)

    # ----- cancel --------------------------------------------------------------------------

    async def cancel(self, order_id: str) -> CancelOutcome:
        """Cancel one order, by the indexer's order id.

        Raises MetadataNotFound, AlreadyCancelled, AlreadyFilled, OrderExpired,
        RateLimited, ChainRejected, NetworkError. A timeout returns result UNKNOWN.
        """
        record = await self._find_or_adopt(order_id)
        _refuse_final(record)
        if record.status is OrderStatus.BEST_EFFORT_CANCELLED:
            raise AlreadyCancelled(order_id)
        block = await self._latest_block()
        if is_expired(record, block):
            await self._mark_expired([record], block)
            raise OrderExpired(order_id, expiry_detail(record, block))
        wait = self.cancel_bucket.try_take()
        if wait > 0:
            raise RateLimited(wait)
        return await self._cancel_one(record, block)

    async def _cancel_one(self, record: OrderRecord, block: BlockInfo) -> CancelOutcome:
        """Send one MsgCancelOrder and record what the chain said."""
        order_id = record.order_id
        previous = record.status
        key = OrderKey.decode(record.order_id_proto)
        if record.is_short_term:
            assert record.good_til_block is not None
            # >= the order's own GTB (or the cancel would not remove it), inside the window.
            gtb = max(record.good_til_block, block.height + 1)
            send = lambda: self.gateway.cancel_order(  # noqa: E731
                key.proto(), good_til_block=gtb, timeout=self.settings.node_timeout
            )
        else:
            assert record.good_til_block_time is not None
            gtbt = record.good_til_block_time
            send = lambda: self.gateway.cancel_order(  # noqa: E731
                key.proto(), good_til_block_time=gtbt, timeout=self.settings.node_timeout
            )
        await self._set_status(
            order_id, OrderStatus.CANCEL_PENDING,
            audit=AuditEntry(order_id, AuditAction.CANCEL, AuditOutcome.ATTEMPT,
                             detail=f"from {previous.value}"),
        )  # fmt: skip
        await self._before_send("cancel", [order_id])
        try:
            with self._retries_of(order_id):
                result = await self._send_with_retries(send, classify=answers.classify_cancel)
        except chain_errors.OutcomeUnknown as exc:
            await self.store.add_audit(
                AuditEntry(order_id, AuditAction.CANCEL, AuditOutcome.UNKNOWN, detail=str(exc))
            )
            return CancelOutcome(order_id, record.symbol, CancelResult.UNKNOWN,
                                 f"no answer in time: {exc}")  # fmt: skip
        except NetworkError as exc:
            await self._set_status(
                order_id, previous,
                audit=AuditEntry(order_id, AuditAction.CANCEL, AuditOutcome.ERROR, detail=str(exc)),
            )  # fmt: skip
            raise
        return await self._record_cancel_answer(record, previous, result, block)

    async def _record_cancel_answer(
        self,
        record: OrderRecord,
        previous: OrderStatus,
        result: BroadcastResult,
        block: BlockInfo,
    ) -> CancelOutcome:
        order_id, market = record.order_id, record.symbol
        meaning = answers.classify_cancel(result)
        detail = answers.describe(result)

        def audit(outcome: AuditOutcome) -> AuditEntry:
            return AuditEntry(order_id, AuditAction.CANCEL, outcome, code=result.code,
                              detail=detail, tx_hash=result.txhash)  # fmt: skip

        if meaning in (Meaning.ACCEPTED, Meaning.ALREADY_DONE):
            benign = meaning is Meaning.ALREADY_DONE
            outcome = AuditOutcome.ALREADY_DONE if benign else AuditOutcome.ACCEPTED
            if record.is_short_term:
                await self._set_status(
                    order_id, OrderStatus.BEST_EFFORT_CANCELLED, cancel_tx_hash=result.txhash,
                    cancelled_at=self.clock(), last_error=detail if benign else None,
                    audit=audit(outcome),
                )  # fmt: skip
                left = max(0, (record.good_til_block or 0) - block.height)
                return CancelOutcome(
                    order_id, market,
                    CancelResult.ALREADY_DONE if benign else CancelResult.BEST_EFFORT,
                    (f"already cancelled ({detail}); " if benign else "")
                    + f"best effort until block {record.good_til_block} ({left} blocks)",
                    result.txhash, left,
                )  # fmt: skip
            await self._set_status(
                order_id, OrderStatus.CANCEL_PENDING, cancel_tx_hash=result.txhash,
                last_error=detail if benign else None, audit=audit(outcome),
            )  # fmt: skip
            return CancelOutcome(
                order_id, market, CancelResult.ALREADY_DONE if benign else CancelResult.SENT,
                f"cancel already on its way ({detail})" if benign
                else "cancel accepted: takes effect in the next block",
                result.txhash,
            )  # fmt: skip
        if meaning is Meaning.GONE:
            return await self._settle_gone(record, previous, result)
        if meaning is Meaning.EXPIRED:
            await self._mark_expired([record], block, detail=detail)
            return CancelOutcome(order_id, market, CancelResult.ALREADY_DONE,
                                 f"already expired ({detail})", result.txhash)  # fmt: skip
        await self._set_status(order_id, previous, last_error=detail,
                               audit=audit(AuditOutcome.REJECTED))  # fmt: skip
        return CancelOutcome(order_id, market, CancelResult.FAILED, detail, result.txhash)

    async def _settle_gone(
        self, record: OrderRecord, previous: OrderStatus, result: BroadcastResult
    ) -> CancelOutcome:
        """A stateful cancel found no order: the indexer says whether that is the goal."""
        order_id, detail = record.order_id, answers.describe(result)
        try:
            seen = await self.indexer.order(order_id)
        except NetworkError:
            seen = None
        status = indexer_status_to_store(seen) if seen is not None else None
        if status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.FILLED):
            await self._set_status(
                order_id, status, last_error=detail, cancelled_at=self.clock(),
                audit=AuditEntry(order_id, AuditAction.CANCEL, AuditOutcome.ALREADY_DONE,
                                 code=result.code, detail=f"{detail}; indexer: {seen.status}"),  # type: ignore[union-attr]
            )  # fmt: skip
            return CancelOutcome(order_id, record.symbol, CancelResult.ALREADY_DONE,
                                 f"already {status.value} ({detail})")  # fmt: skip
        if previous is OrderStatus.PENDING and seen is None:
            # Never reached the chain (or not yet): reconciliation settles the row.
            await self._set_status(
                order_id, previous, last_error=detail,
                audit=AuditEntry(order_id, AuditAction.CANCEL, AuditOutcome.ALREADY_DONE,
                                 code=result.code, detail=f"{detail}; not on the chain"),
            )  # fmt: skip
            return CancelOutcome(order_id, record.symbol, CancelResult.ALREADY_DONE,
                                 f"the order is not on the chain ({detail})")  # fmt: skip
        await self._set_status(
            order_id, previous, last_error=detail,
            audit=AuditEntry(order_id, AuditAction.CANCEL, AuditOutcome.REJECTED,
                             code=result.code, detail=detail),
        )  # fmt: skip
        return CancelOutcome(order_id, record.symbol, CancelResult.FAILED, detail, result.txhash)

    # ----- cancel-all, close, reconcile (in their own modules) --------------------------------

    async def cancel_all(
        self,
        scope: CancelScope | None = None,
        on_progress: Callable[[CancelOutcome], None] | None = None,
    ) -> CancelAllReport:
        from tui_app.controller.cancel_all import CancelAll

        return await CancelAll(self, scope or CancelScope(), on_progress).run()

    async def close_position(self, market: str) -> PlaceOutcome:
        """A reduce-only IOC market order for the whole position in `market`."""
        size = await self._position_size(market)
        if size is None or size == 0:
            raise InvalidOrder("market", f"no open position in {market}")
        side = "SELL" if size > 0 else "BUY"
        return await self.place(
            PlaceRequest(
                market=market,
                side=side,
                size=abs(size),
                order_type=OrderType.MARKET,
                time_in_force=TimeInForceChoice.IOC,
                reduce_only=True,
            )
        )

    async def reconcile(self) -> ReconcileSummary:
        from tui_app.controller.reconcile import Reconciler

        return await Reconciler(self).run()

    async def expire_due(self) -> int:
        """Mark what has expired by the current block; returns how many rows changed."""
        from tui_app.controller.reconcile import expire_due

        return await expire_due(self, await self._latest_block())

    async def run_expiry_watch(self, interval: float = 1.0) -> None:
        """Background task: mark expired orders (and end best-effort cancels) as blocks pass."""
        while True:
            try:
                await self.expire_due()
            except (ControllerError, chain_errors.GatewayError) as exc:
                log.info("expiry watch: %s", exc)
            except Exception:
                log.exception("expiry watch failed; continuing")
            await asyncio.sleep(interval)

    # ----- shared helpers --------------------------------------------------------------------

    async def _latest_block(self) -> BlockInfo:
        """Asks the node (always); the answer also serves places for a moment."""
        asked_at = time.monotonic()
        block = await self._ask_latest_block()
        self.recent_block.remember(block, asked_at)
        return block

    async def _ask_latest_block(self) -> BlockInfo:
        try:
            return await self.gateway.latest_block(timeout=self.settings.node_timeout)
        except chain_errors.OutcomeUnknown as exc:
            raise NetworkError(f"the node did not answer: {exc}") from None
        except chain_errors.GatewayError as exc:
            raise NetworkError(str(exc)) from None

    async def _send_with_retries(
        self,
        send: Callable[[], Awaitable[BroadcastResult]],
        *,
        classify: Callable[[BroadcastResult], Meaning],
    ) -> BroadcastResult:
        """`send()`, retried with backoff when it certainly was not sent (node unreachable)
        or the chain answered a transient refusal. OutcomeUnknown is never retried here."""
        s = self.settings
        delay = s.retry_base_delay
        for attempt in range(max(s.send_retries, MAX_TRANSIENT_RETRIES) + 1):
            try:
                result = await send()
            except (chain_errors.NetworkError, chain_errors.NodeError) as exc:
                if attempt >= s.send_retries:
                    raise NetworkError(str(exc)) from None
            except chain_errors.GatewayClosed as exc:
                raise NetworkError(str(exc)) from None
            else:
                if classify(result) is not Meaning.TRANSIENT or attempt >= MAX_TRANSIENT_RETRIES:
                    return result
            log.info("send attempt %d failed; retrying in %.2f s", attempt + 1, delay)
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    @contextmanager
    def _retries_of(self, *order_ids: str) -> Iterator[None]:
        """Gateway retries inside the block go to `on_retry` for each of `order_ids` (a
        batch cancel retries for all its orders). The gateway reports on its worker
        thread: the news is marshalled to this loop first."""
        hook = self.on_retry
        if hook is None:
            yield
            return
        loop = asyncio.get_running_loop()
        last_limit: list[int] = []
        over = False

        def call_hook(attempt: int, limit: int) -> None:
            for order_id in order_ids:
                try:
                    hook(order_id, attempt, limit)
                except Exception:
                    log.warning("on_retry hook failed", exc_info=True)

        def on_loop(attempt: int, limit: int) -> None:
            if not over:  # a late report (the caller gave up meanwhile) is dropped
                last_limit.append(limit)
                call_hook(attempt, limit)

        def from_worker(attempt: int, limit: int, error: str) -> None:
            try:
                loop.call_soon_threadsafe(on_loop, attempt, limit)
            except RuntimeError:  # the loop is closed: nobody to tell
                pass

        try:
            with retry_listener(from_worker):
                yield
        finally:
            over = True
            if last_limit:
                call_hook(0, last_limit[-1])

    async def _set_status(
        self,
        order_id: str,
        status: OrderStatus,
        *,
        expect: Sequence[OrderStatus] | None = None,
        audit: AuditEntry | None = None,
        **fields: Any,
    ) -> OrderRecord | None:
        """Change a row; a row that moved on meanwhile (e.g. reconciled) is left alone."""
        try:
            return await self.store.update_order(
                order_id, status=status, expect=expect, audit=audit, **fields
            )
        except StatusConflict as exc:
            log.info("%s", exc)
            if audit is not None:
                await self.store.add_audit(audit)
            return None

    async def _mark_expired(
        self, records: Sequence[OrderRecord], block: BlockInfo, detail: str = ""
    ) -> None:
        # A pending row may never have reached the chain: reconciliation decides between
        # expired (the indexer saw it) and rejected (it never did).
        records = [r for r in records if r.status is not OrderStatus.PENDING]
        entries = [
            AuditEntry(r.order_id, AuditAction.EXPIRE, AuditOutcome.ALREADY_DONE,
                       detail=detail or expiry_detail(r, block))
            for r in records
        ]  # fmt: skip
        await self.store.update_orders(
            [r.order_id for r in records], status=OrderStatus.EXPIRED, audit=entries
        )

    async def _before_send(self, action: str, order_ids: Sequence[str]) -> None:
        if self.before_send is not None:
            result = self.before_send(action, order_ids)
            if asyncio.iscoroutine(result):
                await result

    def _free_collateral(self) -> Decimal | None:
        if self.live is not None and self.live.free_collateral is not None:
            return self.live.free_collateral
        return self.free_collateral

    async def _position_size(self, market: str) -> Decimal | None:
        """Signed size (long > 0) of the position in `market`: from the live state when
        there is one, else from the indexer."""
        if self.live is not None:
            position = self.live.positions.get(market)
        else:
            subaccount = await self.indexer.subaccount()
            if subaccount is None:
                return None
            self.free_collateral = subaccount.free_collateral
            position = subaccount.open_perpetual_positions.get(market)
        if position is None or position.status.upper() != "OPEN":
            return None
        return abs(position.size) if position.side == "LONG" else -abs(position.size)

    async def _find_or_adopt(self, order_id: str) -> OrderRecord:
        """The store's row, or one made from the indexer's fields (placed elsewhere)."""
        record = await self.store.find(order_id)
        if record is not None:
            return record
        tracked = self.live.order(order_id) if self.live is not None else None
        seen = tracked.data if tracked is not None else await self.indexer.order(order_id)
        if seen is None or (seen.subaccount_id and seen.subaccount_id != self.subaccount_id):
            raise MetadataNotFound(order_id)
        return await self.adopt(seen, reason="cancel of an order placed elsewhere")

    async def adopt(self, seen: IndexerOrder, *, reason: str) -> OrderRecord:
        """Record an order the indexer shows but the store lacks."""
        market = None
        if seen.ticker:
            market = await self.markets.market(seen.ticker)
        elif seen.clob_pair_id is not None:
            market = await self.markets.by_clob_pair(int(seen.clob_pair_id))
        if market is None:
            raise InvalidMetadata(seen.id, "the indexer does not say which market it is in")
        record = record_from_indexer(seen, market, self.settings, placed_at=self.clock())
        try:
            return await self.store.add_order(
                record,
                audit=AuditEntry(record.order_id, AuditAction.RECONCILE, AuditOutcome.ACCEPTED,
                                 detail=f"recorded from the indexer: {reason}"),
            )  # fmt: skip
        except DuplicateOrder:
            return await self.store.get(record.order_id)


def _pushed_block(live: LiveAccount) -> PushedBlock | None:
    """The indexer's latest block as the live feed heard it (none heard yet: None)."""
    from tui_app.chain.gateway import BlockInfo  # loaded with the gateway, before any place

    height, heard_at = live.block_height, live.block_heard_at
    if height is None or heard_at is None:
        return None
    return PushedBlock(BlockInfo(height, live.block_time or _NO_TIME), heard_at)


_NO_TIME = datetime.fromtimestamp(0, UTC)  # a pushed height whose block time was not sent


async def _both(first: Awaitable[T], second: Awaitable[U]) -> tuple[T, U]:
    """Both results; the first error (after both have ended, none left running)."""
    a, b = await asyncio.gather(first, second, return_exceptions=True)
    for result in (a, b):
        if isinstance(result, BaseException):
            raise result
    return a, b  # type: ignore[return-value]


def _refuse_final(record: OrderRecord) -> None:
    if record.status is OrderStatus.CANCELLED:
        raise AlreadyCancelled(record.order_id)
    if record.status is OrderStatus.FILLED:
        raise AlreadyFilled(record.order_id)
    if record.status is OrderStatus.EXPIRED:
        raise OrderExpired(record.order_id, "recorded as expired")
    if record.status is OrderStatus.REJECTED:
        raise InvalidMetadata(
            record.order_id, f"the chain never accepted it ({record.last_error or 'rejected'})"
        )
