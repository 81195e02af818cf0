"""The devnet's x/clob module: the rules for placing and cancelling orders.

Short-term orders (order_flags 0) live in the memclob only: they are checked, matched and
rested when their transaction arrives (CheckTx), expire after their good_til_block, and
their cancels are best effort. Stateful (long-term) orders are checked at CheckTx but take
effect in the next block (DeliverTx). Conditional orders (order_flags 32) are stateful
orders that wait, off the book, until the oracle price reaches their trigger price
(`trigger_conditional` at the end of a block); they then enter the book when the block
has committed, and match from the next block on. Every refusal is a `ChainError` with the
chain's own code. Events are handed to an `EventSink`: off-chain ones at once, on-chain
ones when the block commits (with that block's height and time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from v4_proto.dydxprotocol.clob import order_pb2, tx_pb2

from tui_app.devnet import errors
from tui_app.devnet.conditional import CONDITION_TYPES, UntriggeredOrders, trigger_prices
from tui_app.devnet.errors import ChainError
from tui_app.devnet.events import (
    BalanceChanged,
    BookLevelChanged,
    ChainEvent,
    ConditionalOrderTriggered,
    FillCreated,
    OrderFilled,
    OrderPlaced,
    OrderRemoved,
    PositionChanged,
    TradeExecuted,
)
from tui_app.devnet.ledger import Ledger
from tui_app.devnet.markets import MarketParams
from tui_app.devnet.matching import Match, MatchingEngine
from tui_app.devnet.params import (
    FLAG_CONDITIONAL,
    FLAG_LONG_TERM,
    FLAG_SHORT_TERM,
    MAX_BATCH_CANCEL_SIZE,
    STATEFUL_ORDER_TIME_WINDOW_SECONDS,
    ChainParams,
)
from tui_app.devnet.types import (
    Fill,
    Order,
    OrderId,
    RemovalReason,
    Side,
    SubaccountId,
    TimeInForce,
)

log = logging.getLogger(__name__)

# Fills of a block are reported as if made by the block's operations tx (index 0): the
# indexer's event id then carries tx index + 2 = 2, as the real proposer's fills do.
OPERATIONS_TX_INDEX = 0


class EventSink(Protocol):
    def emit_now(self, event: ChainEvent) -> None: ...

    def emit_at_commit(self, make: Callable[[int, datetime], list[ChainEvent]]) -> None: ...


class BlockContext(Protocol):
    """What the clob needs to know of the chain's blocks."""

    height: int  # last committed
    block_time: datetime  # of the last committed block

    def next_event_id(self) -> bytes: ...


@dataclass
class PendingStatefulTx:
    txhash: str
    tx_bytes: bytes
    messages: tuple
    # Sending/bank messages of the tx, unpacked (the clob ignores them), and its gas limit.
    sending: tuple = ()
    gas_limit: int = 0


class Clob:
    def __init__(
        self,
        params: ChainParams,
        markets: dict[int, MarketParams],
        oracles: dict[int, Decimal],
        ledger: Ledger,
        blocks: BlockContext,
        sink: EventSink,
    ) -> None:
        self.params = params
        self.markets = markets
        self.oracles = oracles  # by perpetual id; the chain moves them in place
        self.ledger = ledger
        self.blocks = blocks
        self.sink = sink
        self.engine = MatchingEngine(
            markets, oracles, ledger, params.taker_fee_rate, params.maker_fee_rate
        )
        # Short-term cancels remembered until their good_til_block: order id -> cancel GTB.
        self.short_term_cancels: dict[OrderId, int] = {}
        # Short-term orders removed best effort, finalized once their GTB passes.
        self.best_effort_removed: dict[OrderId, tuple[Order, RemovalReason]] = {}
        # Stateful orders in state (resting or not), and ids that may never come back.
        self.stateful_orders: dict[OrderId, Order] = {}
        self.cancelled_stateful: set[OrderId] = set()
        self.removed_stateful: set[OrderId] = set()
        # Conditional orders in state that have not triggered (a subset of stateful_orders).
        self.untriggered = UntriggeredOrders()
        # Lowest and highest trade subticks of the block being built, by clob pair; kept
        # only while conditional orders wait (x/clob's trade prices for triggering).
        self.block_trade_prices: dict[int, tuple[int, int]] = {}
        # Accepted at CheckTx, applied in the next block.
        self.pending_placements: dict[OrderId, Order] = {}
        self.pending_cancels: set[OrderId] = set()
        self._touched_levels: set[tuple[int, Side, int]] = set()

    # ------------------------------------------------------------------ queries

    def open_orders(self) -> list[Order]:
        """The orders resting on the books (untriggered conditional orders are not)."""
        orders: list[Order] = []
        for book in self.engine.books.values():
            orders.extend(book.orders())
        return orders

    def untriggered_orders(self) -> list[Order]:
        return self.untriggered.orders()

    def find(self, order_id: OrderId) -> Order | None:
        return self.engine.find(order_id) or self.stateful_orders.get(order_id)

    # ------------------------------------------------------------------ short-term (CheckTx)

    def place_short_term(self, order: Order, txhash: str) -> None:
        """Check, match and rest a short-term order, or raise the chain's error."""
        self._validate_basic(order)
        self._check_good_til_block(order.good_til_block)
        cancel_gtb = self.short_term_cancels.get(order.order_id)
        if cancel_gtb is not None and cancel_gtb >= order.good_til_block:
            raise ChainError(
                errors.ORDER_IS_CANCELED,
                f"order {_fmt(order.order_id)} was cancelled up to block {cancel_gtb}",
            )
        existing = self.engine.find(order.order_id)
        if existing is not None:
            if order.good_til_block <= existing.good_til_block:
                raise ChainError(
                    errors.INVALID_REPLACEMENT,
                    f"order {_fmt(order.order_id)} already rests with goodTilBlock "
                    f"{existing.good_til_block}",
                )
        if order.reduce_only:
            self._resize_reduce_only(order)
        if order.post_only and self.engine.would_cross(order):
            raise ChainError(errors.POST_ONLY_WOULD_CROSS, f"order {_fmt(order.order_id)}")
        if not self.engine.collateral_ok(order, order.quantums, order.subticks):
            raise ChainError(
                errors.UNDERCOLLATERALIZED,
                f"order {_fmt(order.order_id)} would leave subaccount "
                f"{order.order_id.subaccount.owner}/{order.order_id.subaccount.number} "
                "below its initial margin",
            )
        if existing is not None:
            # A replacement keeps the OrderId: the indexer just sees the order updated.
            self.engine.books[existing.order_id.clob_pair_id].remove(existing.order_id)
            self._touch(existing)
        self.best_effort_removed.pop(order.order_id, None)
        order.tx_hash = txhash
        self._enter(order, on_chain=False)

    def cancel_short_term(self, order_id: OrderId, good_til_block: int) -> None:
        self._check_good_til_block(good_til_block)
        previous = self.short_term_cancels.get(order_id)
        if previous is not None and previous >= good_til_block:
            raise ChainError(
                errors.CANCEL_ALREADY_EXISTS,
                f"cancel of {_fmt(order_id)} with goodTilBlock {previous} exists",
            )
        self.short_term_cancels[order_id] = good_til_block
        order = self.engine.find(order_id)
        # A cancel removes the order only if it lasts at least as long as the order.
        if order is not None and order.good_til_block <= good_til_block:
            self._remove(order, RemovalReason.USER_CANCELED, final=False)
        self._flush_levels()

    def batch_cancel(self, msg: tx_pb2.MsgBatchCancel) -> int:
        """Cancel many short-term orders of one subaccount; returns how many succeeded."""
        subaccount = SubaccountId(msg.subaccount_id.owner, msg.subaccount_id.number)
        seen_pairs: set[int] = set()
        total = 0
        for batch in msg.short_term_cancels:
            if batch.clob_pair_id in seen_pairs:
                raise ChainError(
                    errors.INVALID_BATCH_CANCEL, f"duplicate clob pair id {batch.clob_pair_id}"
                )
            seen_pairs.add(batch.clob_pair_id)
            if not batch.client_ids:
                raise ChainError(errors.INVALID_BATCH_CANCEL, "order batch has no client ids")
            if len(set(batch.client_ids)) != len(batch.client_ids):
                raise ChainError(
                    errors.INVALID_BATCH_CANCEL,
                    f"duplicate client ids for clob pair {batch.clob_pair_id}",
                )
            total += len(batch.client_ids)
        if total == 0:
            raise ChainError(errors.INVALID_BATCH_CANCEL, "batch cancel has no orders")
        if total > MAX_BATCH_CANCEL_SIZE:
            raise ChainError(
                errors.INVALID_BATCH_CANCEL,
                f"{total} cancels exceed the maximum of {MAX_BATCH_CANCEL_SIZE}",
            )
        for clob_pair_id in seen_pairs:
            if clob_pair_id not in self.markets:
                raise ChainError(
                    errors.INVALID_CLOB_PAIR_PARAMETER, f"clob pair {clob_pair_id} not found"
                )
        self._check_good_til_block(msg.good_til_block)
        succeeded = 0
        for batch in msg.short_term_cancels:
            for client_id in batch.client_ids:
                order_id = OrderId(subaccount, client_id, FLAG_SHORT_TERM, batch.clob_pair_id)
                try:
                    self.cancel_short_term(order_id, msg.good_til_block)
                    succeeded += 1
                except ChainError as exc:
                    # The chain only logs individual failures of a batch.
                    log.info("batch cancel of %s failed: %s", _fmt(order_id), exc.raw_log)
        if succeeded == 0:
            raise ChainError(errors.BATCH_CANCEL_FAILED, f"none of {total} cancels succeeded")
        return succeeded

    # ------------------------------------------------------------------ stateful (CheckTx)

    def check_stateful_place(self, order: Order) -> None:
        self._validate_basic(order)
        flags = order.order_id.order_flags
        if flags not in (FLAG_LONG_TERM, FLAG_CONDITIONAL):
            raise ChainError(errors.INVALID_ORDER_FLAG, f"order flags {flags}")
        self._check_good_til_block_time(order.good_til_block_time)
        # Only long-term orders may not be IOC: a conditional IOC order is a stop/take-profit
        # market order.
        if flags == FLAG_LONG_TERM and order.is_immediate:
            raise ChainError(
                errors.STATEFUL_ORDERS_CANNOT_BE_IMMEDIATE, f"order {_fmt(order.order_id)}"
            )
        if flags == FLAG_CONDITIONAL:
            self._check_trigger_subticks(order)
        oid = order.order_id
        if oid in self.stateful_orders or oid in self.pending_placements:
            raise ChainError(errors.STATEFUL_ORDER_ALREADY_EXISTS, f"order {_fmt(oid)}")
        if oid in self.cancelled_stateful:
            raise ChainError(errors.STATEFUL_ORDER_PREVIOUSLY_CANCELLED, f"order {_fmt(oid)}")
        if oid in self.removed_stateful:
            raise ChainError(errors.STATEFUL_ORDER_PREVIOUSLY_REMOVED, f"order {_fmt(oid)}")
        if not self.engine.collateral_ok(order, order.quantums, order.subticks):
            raise ChainError(
                errors.STATEFUL_ORDER_COLLATERALIZATION_FAILED,
                f"order {_fmt(oid)} would leave the subaccount below its initial margin",
            )

    def check_stateful_cancel(self, order_id: OrderId, good_til_block_time: int) -> None:
        self._check_good_til_block_time(good_til_block_time)
        order = self.stateful_orders.get(order_id) or self.pending_placements.get(order_id)
        if order is None:
            detail = f"order {_fmt(order_id)} not found"
            if order_id in self.cancelled_stateful or order_id in self.removed_stateful:
                detail = f"order {_fmt(order_id)} was already removed"
            raise ChainError(errors.STATEFUL_ORDER_DOES_NOT_EXIST, detail)
        if order_id in self.pending_cancels:
            raise ChainError(
                errors.STATEFUL_CANCELLATION_ALREADY_EXISTS, f"order {_fmt(order_id)}"
            )
        if good_til_block_time < order.good_til_block_time:
            raise ChainError(
                errors.INVALID_STATEFUL_ORDER_CANCELLATION,
                f"cancel goodTilBlockTime {good_til_block_time} is before the order's "
                f"{order.good_til_block_time}",
            )

    def accept_stateful(self, messages: tuple) -> None:
        """Remember what a checked stateful tx will do, so later CheckTxs see it."""
        for msg in messages:
            if isinstance(msg, tx_pb2.MsgPlaceOrder):
                order = order_from_proto(msg.order)
                self.pending_placements[order.order_id] = order
            elif isinstance(msg, tx_pb2.MsgCancelOrder):
                self.pending_cancels.add(order_id_from_proto(msg.order_id))

    # ------------------------------------------------------------------ stateful (DeliverTx)

    def deliver_stateful(self, tx: PendingStatefulTx) -> ChainError | None:
        """Apply a stateful tx in the block being built; returns its failure, if any."""
        failure: ChainError | None = None
        for msg in tx.messages:
            try:
                if isinstance(msg, tx_pb2.MsgPlaceOrder):
                    self._deliver_place(order_id_from_proto(msg.order.order_id), tx.txhash)
                elif isinstance(msg, tx_pb2.MsgCancelOrder):
                    self._deliver_cancel(order_id_from_proto(msg.order_id))
            except ChainError as exc:
                failure = failure or exc
        self._flush_levels()
        return failure

    def _deliver_place(self, order_id: OrderId, txhash: str) -> None:
        order = self.pending_placements.pop(order_id, None)
        if order is None:
            return
        order.tx_hash = txhash
        self.stateful_orders[order_id] = order
        if order_id.order_flags == FLAG_CONDITIONAL:
            # Stored, announced UNTRIGGERED, kept off the book until it triggers.
            self.untriggered.add(order)
            self.sink.emit_at_commit(self._placed_event(order, on_chain=True))
            return
        if order.post_only and self.engine.would_cross(order):
            self.sink.emit_at_commit(self._placed_event(order, on_chain=True))
            self._drop_stateful(order, RemovalReason.POST_ONLY_WOULD_CROSS_MAKER_ORDER)
            return
        self._enter(order, on_chain=True)

    def _deliver_cancel(self, order_id: OrderId) -> None:
        self.pending_cancels.discard(order_id)
        order = self.stateful_orders.get(order_id)
        if order is None:
            raise ChainError(errors.STATEFUL_CANCEL_FOR_REMOVED_ORDER, f"order {_fmt(order_id)}")
        if self.untriggered.remove(order_id) is None:
            self.engine.books[order_id.clob_pair_id].remove(order_id)
            self._touch(order)
        self.cancelled_stateful.add(order_id)
        del self.stateful_orders[order_id]
        self.sink.emit_at_commit(self._removed_event(order, RemovalReason.USER_CANCELED, True))

    # ------------------------------------------------------------------ end of block

    def expire(self, height: int, block_time_unix: int) -> None:
        """Remove what has expired once block `height` (at `block_time_unix`) is committed."""
        for order in self.open_orders():
            if order.order_id.is_short_term and order.good_til_block <= height:
                self._remove(order, RemovalReason.EXPIRED, final=True)
            elif not order.order_id.is_short_term and order.good_til_block_time <= block_time_unix:
                self._remove(order, RemovalReason.EXPIRED, final=True)
        if self.untriggered:
            for order in self.untriggered.expired(block_time_unix):
                self.untriggered.remove(order.order_id)
                self._drop_stateful(order, RemovalReason.EXPIRED)
        for order_id, (order, reason) in list(self.best_effort_removed.items()):
            if order.good_til_block <= height:
                del self.best_effort_removed[order_id]
                self.sink.emit_at_commit(self._removed_event(order, reason, True))
        for order_id, gtb in list(self.short_term_cancels.items()):
            if gtb <= height:
                del self.short_term_cancels[order_id]
        self._flush_levels()

    def trigger_conditional(self) -> list[Order]:
        """End of block: take out the conditional orders whose trigger price the oracle, or
        the block's clamped lowest or highest trade price, has reached (reported in this
        block); `activate_triggered` books them."""
        trades = self.block_trade_prices
        if trades:
            self.block_trade_prices = {}
        if not self.untriggered:
            return []
        triggered: list[Order] = []
        for clob_pair_id in self.untriggered.clob_pair_ids():
            market = self.markets[clob_pair_id]
            # Exact (unrounded) oracle subticks, as the chain's GetOraclePriceSubticksRat.
            oracle = market.price_to_subticks(self.oracles[market.perpetual_id])
            for price in trigger_prices(
                oracle, trades.get(clob_pair_id), market.min_price_change_ppm
            ):
                triggered.extend(self.untriggered.poll(clob_pair_id, price))
        for order in triggered:
            self.sink.emit_at_commit(self._triggered_event(order))
        return triggered

    def activate_triggered(self, orders: list[Order]) -> None:
        """After the block commits (PrepareCheckState), triggered orders enter the book as
        long-term orders would: their matches belong to the next block."""
        for order in orders:
            if order.order_id not in self.stateful_orders:
                continue
            if order.post_only and self.engine.would_cross(order):
                self._drop_stateful(order, RemovalReason.POST_ONLY_WOULD_CROSS_MAKER_ORDER)
                continue
            self._enter(order, on_chain=True, announce=False)

    # ------------------------------------------------------------------ internals

    def _enter(self, order: Order, on_chain: bool, announce: bool = True) -> None:
        """Match a new order, then rest what is left (or drop an IOC remainder).

        A triggered conditional order is not announced again: its trigger event was."""
        self.engine.stamp(order)
        if announce:
            event = self._placed_event(order, on_chain)
            if on_chain:
                self.sink.emit_at_commit(event)
            else:
                self.sink.emit_now(event(self.blocks.height + 1, self.blocks.block_time)[0])
        result = self.engine.match(order, lambda m: self._book_match(m, order.tx_hash))
        for maker, reason in result.removed_makers:
            self._touch(maker)
            if reason is not RemovalReason.FULLY_FILLED:
                self._after_removal(maker, reason, final=not maker.order_id.is_short_term)
            elif not maker.order_id.is_short_term:
                self._forget_stateful(maker, RemovalReason.FULLY_FILLED)
        if order.is_fully_filled:
            if not order.order_id.is_short_term:
                self._forget_stateful(order, RemovalReason.FULLY_FILLED)
        elif order.is_immediate or result.taker_stopped is not None:
            reason = result.taker_stopped or RemovalReason.IMMEDIATE_OR_CANCEL_WOULD_REST_ON_BOOK
            self.sink.emit_at_commit(self._removed_event(order, reason, True))
            if not order.order_id.is_short_term:
                self._forget_stateful(order, reason)
        else:
            self.engine.books[order.order_id.clob_pair_id].add(order)
            self._touch(order)
        self._flush_levels()

    def _book_match(self, match: Match, taker_tx_hash: str) -> None:
        """Move the money of one match now; report it when the block commits."""
        market = self.markets[match.taker.order_id.clob_pair_id]
        if self.untriggered:
            self._note_trade_price(market.clob_pair_id, match.subticks)
        height = self.blocks.height + 1
        time = self.blocks.block_time
        fills = []
        for order, fee, is_taker in (
            (match.maker, match.maker_fee_quote, False),
            (match.taker, match.taker_fee_quote, True),
        ):
            event_id = self.blocks.next_event_id()
            self.ledger.apply_fill(
                order.order_id.subaccount,
                market,
                order.side,
                match.quantums,
                match.subticks,
                fee,
                event_id,
                height,
                time,
            )
            fills.append(
                Fill(
                    event_id=event_id,
                    subaccount=order.order_id.subaccount,
                    order_id=order.order_id,
                    clob_pair_id=market.clob_pair_id,
                    side=order.side,
                    is_taker=is_taker,
                    quantums=match.quantums,
                    subticks=match.subticks,
                    quote_quantums=market.quote_quantums(match.quantums, match.subticks),
                    fee_quote_quantums=fee,
                    height=height,
                    time=time,
                    tx_hash=taker_tx_hash,
                    client_metadata=order.client_metadata,
                )
            )
        self._touch(match.maker)
        self.sink.emit_at_commit(self._match_events(market, match, fills))

    def _note_trade_price(self, clob_pair_id: int, subticks: int) -> None:
        low, high = self.block_trade_prices.get(clob_pair_id, (subticks, subticks))
        self.block_trade_prices[clob_pair_id] = (min(low, subticks), max(high, subticks))

    def _match_events(
        self, market: MarketParams, match: Match, fills: list[Fill]
    ) -> Callable[[int, datetime], list[ChainEvent]]:
        def make(height: int, time: datetime) -> list[ChainEvent]:
            events: list[ChainEvent] = []
            for fill, order in zip(fills, (match.maker, match.taker), strict=True):
                fill = _at(fill, height, time)
                order = order.snapshot()
                order.updated_height, order.updated_at = height, time
                events.append(FillCreated(fill))
                events.append(OrderFilled(order, height, time))
                sub = self.ledger.get(fill.subaccount)
                if sub is not None:
                    pos = sub.positions.get(market.perpetual_id)
                    if pos is not None:
                        events.append(
                            PositionChanged(sub.id, _copy(pos), market.ticker, height, time)
                        )
                    events.append(BalanceChanged(sub.id, sub.usdc_quantums, height, time))
            events.append(
                TradeExecuted(
                    market.ticker,
                    market.clob_pair_id,
                    match.taker.side,
                    match.quantums,
                    match.subticks,
                    fills[1].event_id,
                    height,
                    time,
                )
            )
            return events

        return make

    def _remove(self, order: Order, reason: RemovalReason, final: bool) -> None:
        self.engine.books[order.order_id.clob_pair_id].remove(order.order_id)
        self._touch(order)
        self._after_removal(order, reason, final)

    def _after_removal(self, order: Order, reason: RemovalReason, final: bool) -> None:
        if order.order_id.is_short_term:
            if final:
                self.sink.emit_at_commit(self._removed_event(order, reason, True))
            else:
                # Off-chain: the indexer hears of it at once, as BEST_EFFORT_CANCELED.
                self.best_effort_removed[order.order_id] = (order.snapshot(), reason)
                event = self._removed_event(order, reason, False)
                self.sink.emit_now(event(self.blocks.height + 1, self.blocks.block_time)[0])
        else:
            self._drop_stateful(order, reason)

    def _drop_stateful(self, order: Order, reason: RemovalReason) -> None:
        self._forget_stateful(order, reason)
        self.sink.emit_at_commit(self._removed_event(order, reason, True))

    def _forget_stateful(self, order: Order, reason: RemovalReason) -> None:
        self.stateful_orders.pop(order.order_id, None)
        self.removed_stateful.add(order.order_id)

    def _placed_event(
        self, order: Order, on_chain: bool
    ) -> Callable[[int, datetime], list[ChainEvent]]:
        snapshot = order.snapshot()

        def make(height: int, time: datetime) -> list[ChainEvent]:
            snapshot.placed_height = snapshot.updated_height = height
            snapshot.placed_at = snapshot.updated_at = time
            order.placed_height, order.placed_at = height, time
            return [OrderPlaced(snapshot, on_chain, height, time)]

        return make

    def _triggered_event(self, order: Order) -> Callable[[int, datetime], list[ChainEvent]]:
        def make(height: int, time: datetime) -> list[ChainEvent]:
            order.updated_height, order.updated_at = height, time
            return [ConditionalOrderTriggered(order.snapshot(), height, time)]

        return make

    def _removed_event(
        self, order: Order, reason: RemovalReason, final: bool
    ) -> Callable[[int, datetime], list[ChainEvent]]:
        snapshot = order.snapshot()

        def make(height: int, time: datetime) -> list[ChainEvent]:
            snapshot.updated_height, snapshot.updated_at = height, time
            return [OrderRemoved(snapshot, reason, final, height, time)]

        return make

    def _touch(self, order: Order) -> None:
        self._touched_levels.add((order.order_id.clob_pair_id, order.side, order.subticks))

    def _flush_levels(self) -> None:
        """Report the new size of every price level changed since the last flush."""
        for clob_pair_id, side, subticks in sorted(self._touched_levels):
            book = self.engine.books[clob_pair_id]
            self.sink.emit_now(
                BookLevelChanged(
                    self.markets[clob_pair_id].ticker,
                    clob_pair_id,
                    side,
                    subticks,
                    book.level_quantums(side, subticks),
                )
            )
        self._touched_levels.clear()

    def _resize_reduce_only(self, order: Order) -> None:
        """A reduce-only order may only shrink the position, and is cut to its size."""
        sub = self.ledger.get(order.order_id.subaccount)
        market = self.markets[order.order_id.clob_pair_id]
        pos = sub.positions.get(market.perpetual_id) if sub else None
        size = pos.quantums if pos else 0
        if size == 0 or (size > 0) == (order.side is Side.BUY):
            raise ChainError(
                errors.REDUCE_ONLY_WOULD_INCREASE_POSITION,
                f"order {_fmt(order.order_id)}: position size is {size} quantums",
            )
        if order.quantums > abs(size):
            order.quantums = abs(size)

    def _validate_basic(self, order: Order) -> None:
        """The stateless checks of MsgPlaceOrder.ValidateBasic and the clob pair's steps."""
        oid = order.order_id
        market = self.markets.get(oid.clob_pair_id)
        if market is None:
            raise ChainError(errors.INVALID_CLOB, f"clob pair {oid.clob_pair_id} does not exist")
        if order.condition_type and order.condition_type not in CONDITION_TYPES:
            raise ChainError(
                errors.INVALID_CONDITION_TYPE, f"invalid condition type ({order.condition_type})"
            )
        if order.side not in (Side.BUY, Side.SELL):
            raise ChainError(errors.INVALID_ORDER_SIDE, f"side {int(order.side)}")
        if order.time_in_force is TimeInForce.FILL_OR_KILL:
            raise ChainError(
                errors.DEPRECATED_FIELD, "Fill-or-kill has been deprecated; use IOC or GTT"
            )
        if order.reduce_only and order.time_in_force is not TimeInForce.IOC:
            raise ChainError(errors.REDUCE_ONLY_DISABLED, "reduce-only is only allowed on IOC orders")
        if order.reduce_only and not oid.is_short_term:
            raise ChainError(errors.REDUCE_ONLY_DISABLED, "reduce-only is disabled for stateful orders")
        if order.quantums <= 0:
            raise ChainError(errors.INVALID_ORDER_QUANTUMS, "order size quantums cannot be 0")
        if order.subticks <= 0:
            raise ChainError(errors.INVALID_ORDER_SUBTICKS, "order subticks cannot be 0")
        if order.quantums % market.step_base_quantums:
            raise ChainError(
                errors.INVALID_PLACE_ORDER,
                f"Order Quantums {order.quantums} must be a multiple of the ClobPair's "
                f"StepBaseQuantums {market.step_base_quantums}",
            )
        if order.subticks % market.subticks_per_tick:
            raise ChainError(
                errors.INVALID_PLACE_ORDER,
                f"Order subticks {order.subticks} must be a multiple of the ClobPair's "
                f"SubticksPerTick {market.subticks_per_tick}",
            )
        if oid.is_short_term and order.good_til_block == 0:
            raise ChainError(
                errors.INVALID_ORDER_GOOD_TIL_BLOCK, "short-term order needs a goodTilBlock"
            )
        if oid.order_flags == FLAG_CONDITIONAL:
            if not order.condition_type:
                raise ChainError(
                    errors.INVALID_CONDITION_TYPE, "condition type cannot be unspecified"
                )
            if order.conditional_order_trigger_subticks == 0:
                raise ChainError(
                    errors.INVALID_CONDITIONAL_ORDER_TRIGGER_SUBTICKS,
                    "conditional order trigger subticks cannot be 0",
                )
        elif order.condition_type:
            raise ChainError(
                errors.INVALID_CONDITION_TYPE, "condition type specified for non-conditional order"
            )
        elif order.conditional_order_trigger_subticks:
            raise ChainError(
                errors.INVALID_CONDITIONAL_ORDER_TRIGGER_SUBTICKS,
                "conditional order trigger subticks greater than 0 for non-conditional order",
            )

    def _check_trigger_subticks(self, order: Order) -> None:
        """Stateful validation: the trigger price must sit on the clob pair's ticks."""
        market = self.markets[order.order_id.clob_pair_id]
        if order.conditional_order_trigger_subticks % market.subticks_per_tick:
            raise ChainError(
                errors.INVALID_PLACE_ORDER,
                f"Conditional order trigger subticks {order.conditional_order_trigger_subticks} "
                f"must be a multiple of the ClobPair's SubticksPerTick "
                f"{market.subticks_per_tick}",
            )

    def _check_good_til_block(self, good_til_block: int) -> None:
        next_height = self.blocks.height + 1
        if good_til_block == 0:
            raise ChainError(errors.INVALID_ORDER_GOOD_TIL_BLOCK, "goodTilBlock is 0")
        if good_til_block < next_height:
            raise ChainError(
                errors.HEIGHT_EXCEEDS_GOOD_TIL_BLOCK,
                f"GoodTilBlock {good_til_block} is less than the next block height {next_height}",
            )
        limit = next_height + self.params.short_block_window
        if good_til_block > limit:
            raise ChainError(
                errors.GOOD_TIL_BLOCK_EXCEEDS_SHORT_BLOCK_WINDOW,
                f"GoodTilBlock {good_til_block} is more than {self.params.short_block_window} "
                f"blocks past the next block height {next_height} (at most {limit})",
            )

    def _check_good_til_block_time(self, good_til_block_time: int) -> None:
        if good_til_block_time == 0:
            raise ChainError(errors.INVALID_GOOD_TIL_BLOCK_TIME, "goodTilBlockTime is 0")
        now = int(self.blocks.block_time.timestamp())
        if good_til_block_time <= now:
            raise ChainError(
                errors.TIME_EXCEEDS_GOOD_TIL_BLOCK_TIME,
                f"GoodTilBlockTime {good_til_block_time} is not after the block time {now}",
            )
        if good_til_block_time > now + STATEFUL_ORDER_TIME_WINDOW_SECONDS:
            raise ChainError(
                errors.GOOD_TIL_BLOCK_TIME_EXCEEDS_WINDOW,
                f"GoodTilBlockTime {good_til_block_time} is more than 95 days after the block "
                f"time {now}",
            )


def order_id_from_proto(msg: order_pb2.OrderId) -> OrderId:
    return OrderId(
        SubaccountId(msg.subaccount_id.owner, msg.subaccount_id.number),
        msg.client_id,
        msg.order_flags,
        msg.clob_pair_id,
    )


def order_from_proto(msg: order_pb2.Order) -> Order:
    return Order(
        order_id=order_id_from_proto(msg.order_id),
        side=Side(msg.side) if msg.side in (1, 2) else msg.side,  # type: ignore[arg-type]
        quantums=msg.quantums,
        subticks=msg.subticks,
        good_til_block=msg.good_til_block,
        good_til_block_time=msg.good_til_block_time,
        time_in_force=TimeInForce(msg.time_in_force),
        reduce_only=msg.reduce_only,
        client_metadata=msg.client_metadata,
        condition_type=msg.condition_type,
        conditional_order_trigger_subticks=msg.conditional_order_trigger_subticks,
    )


def _fmt(order_id: OrderId) -> str:
    sub = order_id.subaccount
    return (
        f"{{owner {sub.owner}, number {sub.number}, client id {order_id.client_id}, "
        f"flags {order_id.order_flags}, clob pair {order_id.clob_pair_id}}}"
    )


def _at(fill: Fill, height: int, time: datetime) -> Fill:
    from dataclasses import replace

    return replace(fill, height=height, time=time)


def _copy(position):
    from dataclasses import replace

    return replace(position)
