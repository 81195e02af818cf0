"""The account state: one subaccount's orders, positions and balance, plus markets and
block height, kept from the indexer's snapshots and updates.

Pure and synchronous: `apply()` takes a parsed message and returns what changed; nothing
here waits, reads a clock or does I/O, so every behaviour can be tested by feeding
messages. Applying one order update is the feed's hot path (tens of thousands per second),
so it is a dict lookup, a merge and a status check, with no scans.

On that path the code reads a model's fields from its `__dict__`: pydantic models define
`__getattr__`, which sends every `model.field` read down CPython's slow generic path
(about 0.1 us each here, some twenty per update), while a dict lookup is nearly free.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from tui_app.ids import subaccount_uuid
from tui_app.models import (
    KNOWN_ORDER_STATUSES,
    AssetPosition,
    BlockHeightBatchData,
    BlockHeightChannelData,
    BlockHeightSubscribed,
    Connected,
    ErrorMessage,
    Fill,
    IndexerOrder,
    MarketsBatchData,
    MarketsChannelData,
    MarketsSubscribed,
    MarketsUpdate,
    MessageRejected,
    OrderbookBatchData,
    OrderbookChannelData,
    OrderbookSubscribed,
    ParsedMessage,
    PerpetualMarket,
    PerpetualPosition,
    PerpetualPositionUpdate,
    SubaccountsBatchData,
    SubaccountsChannelData,
    SubaccountSnapshot,
    SubaccountsSubscribed,
    SubaccountUpdate,
    Trade,
    TradesBatchData,
    TradesChannelData,
    TradesSubscribed,
    Unsubscribed,
)
from tui_app.state.changes import (
    BalanceChanged,
    BlockHeightChanged,
    Change,
    FillRecorded,
    MarketChanged,
    OrderBookChanged,
    OrderChanged,
    PositionChanged,
    ResyncRequested,
    StateReset,
    TradesChanged,
)
from tui_app.state.gaps import MessageIdTracker
from tui_app.state.orderbook import OrderBook
from tui_app.state.orders import (
    FINAL_STATUSES,
    SHORT_TERM_FLAGS,
    TrackedOrder,
    derive_status,
    merged,
)
from tui_app.state.pnl import ZERO, MarketPnl

logger = logging.getLogger("tui_app.state")

USDC = "USDC"
# A position with a status this version does not know stays shown while it has a size.
CLOSED_POSITION_STATUSES = frozenset({"CLOSED", "LIQUIDATED"})
FILL_HISTORY = 10_000
FINISHED_ORDERS = 10_000  # final orders kept for display; older ones are dropped
TRADE_HISTORY = 200

Position = PerpetualPosition | PerpetualPositionUpdate
Listener = Callable[[Change], Any]


@dataclass(frozen=True, slots=True)
class PositionView:
    """A position with its PnL, ready to show."""

    market: str
    side: str
    size: Decimal  # signed: negative when short
    entry_price: Decimal | None
    oracle_price: Decimal | None
    unrealized_pnl: Decimal | None  # size x (oracle - entry), from the latest oracle price
    realized_pnl: Decimal  # from the fills this app saw, net of their fees
    indexer_realized_pnl: Decimal | None  # the indexer's figure (includes funding)
    indexer_unrealized_pnl: Decimal | None
    net_funding: Decimal | None


class AccountState:
    """State of one subaccount (`address`/`subaccount_number`) and the markets."""

    def __init__(
        self,
        address: str,
        subaccount_number: int = 0,
        *,
        fill_history: int = FILL_HISTORY,
        finished_orders: int = FINISHED_ORDERS,
    ) -> None:
        self.address = address
        self.subaccount_number = subaccount_number
        self.subaccount_id = subaccount_uuid(address, subaccount_number)
        self.channel_id = f"{address}/{subaccount_number}"
        self._fill_history = fill_history
        self._finished_limit = finished_orders

        self._orders: dict[str, TrackedOrder] = {}
        self._finished: dict[str, None] = {}  # ids of final orders, oldest first
        self._positions: dict[str, Position] = {}
        self._assets: dict[str, Decimal] = {}  # symbol -> signed balance
        self._markets: dict[str, PerpetualMarket] = {}
        self._fills: dict[str, Fill] = {}  # insertion-ordered and bounded: the history
        self._pnl: dict[str, MarketPnl] = {}
        self._books: dict[str, OrderBook] = {}
        self._trades: dict[str, deque[Trade]] = {}
        self._expiries: list[tuple[int, str]] = []  # (good-til-block, order id) heap

        self.equity: Decimal | None = None  # as of the last snapshot
        self.free_collateral: Decimal | None = None
        self.block_height: int | None = None
        self.block_time: datetime | None = None
        # time.monotonic() when block_height last rose: places may count from a fresh one.
        self.block_heard_at: float | None = None
        self.snapshot_received = False
        # Set by the feed: its WebSocket is live, so the orders here are current (the
        # controller's cancel-all then takes its targets from here, not from a REST read).
        self.feed_live = False

        self.needs_resync = False
        self.resync_reasons: list[str] = []
        self.unknown_statuses = 0  # order updates with a status this version does not know
        self.ignored_messages = 0  # other subaccounts, candles, parent subaccounts
        self.stale_messages = 0  # repeated or overtaken data messages, not applied
        self.rejected_messages = 0
        self.apply_errors = 0  # bugs caught by apply()'s last line of defence

        self.message_ids = MessageIdTracker()
        self._listeners: list[Listener] = []
        self._changes: dict[Change, None] = {}
        # Orders apart, keyed by id: a str key hashes in C, a record's hash is Python code.
        self._order_changes: dict[str, OrderChanged] = {}
        self._handlers: dict[type, Callable[[Any], None]] = {
            Connected: self._on_connected,
            SubaccountsSubscribed: self._on_subaccount_snapshot,
            SubaccountsChannelData: self._on_subaccount_data,
            SubaccountsBatchData: self._on_subaccount_batch,
            MarketsSubscribed: self._on_markets_snapshot,
            MarketsChannelData: self._on_markets_data,
            MarketsBatchData: self._on_markets_batch,
            BlockHeightSubscribed: self._on_block_height_snapshot,
            BlockHeightChannelData: self._on_block_height_data,
            BlockHeightBatchData: self._on_block_height_batch,
            OrderbookSubscribed: self._on_orderbook_snapshot,
            OrderbookChannelData: self._on_orderbook_data,
            OrderbookBatchData: self._on_orderbook_batch,
            TradesSubscribed: self._on_trades,
            TradesChannelData: self._on_trades,
            TradesBatchData: self._on_trades_batch,
            Unsubscribed: self._on_unsubscribed,
            ErrorMessage: self._ignore,
        }

    # ------------------------------------------------------------------ reading

    @property
    def orders(self) -> Mapping[str, TrackedOrder]:
        return MappingProxyType(self._orders)

    def order(self, order_id: str) -> TrackedOrder | None:
        return self._orders.get(order_id)

    def open_orders(self) -> list[TrackedOrder]:
        return [o for o in self._orders.values() if o.status.is_live]

    @property
    def positions(self) -> Mapping[str, Position]:
        return MappingProxyType(self._positions)

    @property
    def markets(self) -> Mapping[str, PerpetualMarket]:
        return MappingProxyType(self._markets)

    @property
    def usdc_balance(self) -> Decimal | None:
        return self._assets.get(USDC)

    @property
    def asset_balances(self) -> Mapping[str, Decimal]:
        return MappingProxyType(self._assets)

    def fills(self) -> list[Fill]:
        """The most recent fills (up to the history size), oldest first."""
        return list(self._fills.values())

    def order_book(self, ticker: str) -> OrderBook | None:
        return self._books.get(ticker)

    def trades(self, ticker: str) -> list[Trade]:
        return list(self._trades.get(ticker, ()))

    def oracle_price(self, market: str) -> Decimal | None:
        info = self._markets.get(market)
        return info.oracle_price if info is not None else None

    def unrealized_pnl(self, market: str) -> Decimal | None:
        position = self._positions.get(market)
        oracle = self.oracle_price(market)
        if position is None or oracle is None or position.entry_price is None:
            return None
        return position.signed_size * (oracle - position.entry_price)

    def realized_pnl(self, market: str) -> Decimal:
        """Realized PnL of `market` from the fills seen, net of fees."""
        pnl = self._pnl.get(market)
        return pnl.net_realized if pnl is not None else ZERO

    def market_pnl(self, market: str) -> MarketPnl | None:
        return self._pnl.get(market)

    def total_realized_pnl(self) -> Decimal:
        return sum((p.net_realized for p in self._pnl.values()), ZERO)

    def total_unrealized_pnl(self) -> Decimal:
        return sum((self.unrealized_pnl(m) or ZERO for m in self._positions), ZERO)

    def position_view(self, market: str) -> PositionView | None:
        position = self._positions.get(market)
        if position is None:
            return None
        return PositionView(
            market=market,
            side=position.side,
            size=position.signed_size,
            entry_price=position.entry_price,
            oracle_price=self.oracle_price(market),
            unrealized_pnl=self.unrealized_pnl(market),
            realized_pnl=self.realized_pnl(market),
            indexer_realized_pnl=position.realized_pnl,
            indexer_unrealized_pnl=position.unrealized_pnl,
            net_funding=position.net_funding,
        )

    def estimated_equity(self) -> Decimal | None:
        """USDC balance plus each position's value at the oracle price (between snapshots
        the indexer sends no equity)."""
        balance = self.usdc_balance
        if balance is None:
            return None
        value = ZERO
        for market, position in self._positions.items():
            oracle = self.oracle_price(market)
            if oracle is None:
                return None
            value += position.signed_size * oracle
        return balance + value

    # ------------------------------------------------------------ controller API

    def add_pending(self, order: IndexerOrder) -> None:
        """The controller sent `order` (its `id` from tui_app.ids.order_uuid)."""
        if order.id in self._orders:
            return  # the indexer was quicker than the controller: nothing to add
        tracked = self._orders[order.id] = TrackedOrder(order, seen=False)
        self._store(tracked)
        self._notify()

    def mark_rejected(self, order_id: str, reason: str) -> bool:
        """The chain refused the order. False if the indexer has reported it (it wins)."""
        tracked = self._orders.get(order_id)
        if tracked is None or tracked.seen:
            return False
        tracked.reject_reason = reason
        self._store(tracked)
        self._notify()
        return True

    def forget_order(self, order_id: str) -> None:
        """Drop an order from view (e.g. a rejected one the user dismissed)."""
        self._finished.pop(order_id, None)
        if self._orders.pop(order_id, None) is not None:
            self._order_changes[order_id] = OrderChanged(order_id)
            self._notify()

    # -------------------------------------------------------------- feed API

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(change)` for every change; returns a function that unsubscribes."""
        # Copied on change, never changed in place: _notify iterates it without a copy,
        # and a listener may unsubscribe (or subscribe another) while it is called.
        self._listeners = [*self._listeners, listener]

        def unsubscribe() -> None:
            if listener in self._listeners:
                listeners = list(self._listeners)
                listeners.remove(listener)
                self._listeners = listeners

        return unsubscribe

    def note_request_sent(self, count: int = 1) -> None:
        """The feed sent subscribe/unsubscribe requests (see gaps.MessageIdTracker)."""
        self.message_ids.expect_response(count)

    def connection_lost(self) -> None:
        self.message_ids.reset()

    def request_resync(self, reason: str) -> None:
        if len(self.resync_reasons) < 100:
            self.resync_reasons.append(reason)
        if not self.needs_resync:
            self.needs_resync = True
            logger.warning("account state needs a resync: %s", reason)
            self._changes[ResyncRequested(reason)] = None

    def apply(self, message: ParsedMessage | MessageRejected) -> tuple[Change, ...]:
        """Apply one message; returns (and tells subscribers) what changed."""
        try:
            if type(message) is MessageRejected:
                self._on_rejected(message)
            elif self.message_ids.take_next(
                (fields := message.__dict__)["connection_id"], fields["message_id"], fields["type"]
            ):
                self._handlers.get(type(message), self._ignore)(message)
            elif self.message_ids.is_stale(message.connection_id, message.message_id, message.type):
                # A repeated or overtaken data message: never applied over newer ones.
                self.stale_messages += 1
                self.request_resync(f"message id {message.message_id} repeated or out of order")
            else:
                gap = self.message_ids.observe(
                    message.connection_id, message.message_id, message.type
                )
                if gap is not None:
                    self.request_resync(str(gap))
                self._handlers.get(type(message), self._ignore)(message)
        except Exception:  # a bug here must not take the feed down; resync heals the state
            self.apply_errors += 1
            logger.exception("failed to apply %s", type(message).__name__)
            self.request_resync("internal error while applying a message")
        return self._notify()

    def apply_many(self, messages: Iterable[ParsedMessage | MessageRejected]) -> None:
        for message in messages:
            self.apply(message)

    # ------------------------------------------------------------ subaccount

    def apply_snapshot(self, contents: SubaccountSnapshot) -> tuple[Change, ...]:
        """Replace the subaccount's state, e.g. from REST polling (the WebSocket's
        `subscribed` message goes through `apply`)."""
        self._replace_subaccount(contents)
        return self._notify()

    def apply_update(self, contents: SubaccountUpdate) -> tuple[Change, ...]:
        """Apply subaccount changes that came another way, e.g. fills polled over REST."""
        self._apply_subaccount_update(contents)
        return self._notify()

    def _on_subaccount_snapshot(self, message: SubaccountsSubscribed) -> None:
        if message.id is not None and message.id != self.channel_id:
            self.ignored_messages += 1
            return
        self._replace_subaccount(message.contents)

    def _replace_subaccount(self, contents: SubaccountSnapshot) -> None:
        # A snapshot replaces everything the indexer told us; only orders it has never
        # reported (sent by this app, pending or rejected) are kept.
        self._orders = {k: o for k, o in self._orders.items() if not o.seen}
        self._finished = {k: None for k, o in self._orders.items() if o.status.is_final}
        self._expiries = []
        for tracked in self._orders.values():
            tracked.expiry_scheduled = None
        self._positions = {}
        self._assets = {}
        self.equity = self.free_collateral = None
        if contents.block_height is not None:
            self._raise_height(contents.block_height)
        subaccount = contents.subaccount
        if subaccount is not None:
            self.equity = subaccount.equity
            self.free_collateral = subaccount.free_collateral
            for market, position in subaccount.open_perpetual_positions.items():
                if position.status not in CLOSED_POSITION_STATUSES and position.size != 0:
                    self._positions[position.market or market] = position
            for symbol, asset in subaccount.asset_positions.items():
                self._assets[asset.symbol or symbol] = asset.signed_size
        for market, pnl in self._pnl.items():
            if market not in self._positions:
                pnl.seed(ZERO, ZERO)
        for market, position in self._positions.items():
            self._pnl.setdefault(market, MarketPnl()).seed(
                position.signed_size, position.entry_price or ZERO
            )
        for order in contents.orders:
            self._apply_order(order)
        for tracked in self._orders.values():
            self._store(tracked)  # re-derive pending ones against the new height
        self.snapshot_received = True
        self.needs_resync = False
        self.resync_reasons.clear()
        self._changes.clear()  # StateReset covers every row
        self._order_changes.clear()
        self._changes[StateReset()] = None
        self._changes[BalanceChanged()] = None

    def _on_subaccount_data(self, message: SubaccountsChannelData) -> None:
        fields = message.__dict__  # see the module's docstring
        channel_id = fields["id"]
        if channel_id is not None and channel_id != self.channel_id:
            self.ignored_messages += 1
            return
        self._apply_subaccount_update(fields["contents"])

    def _on_subaccount_batch(self, message: SubaccountsBatchData) -> None:
        if message.id is not None and message.id != self.channel_id:
            self.ignored_messages += 1
            return
        for contents in message.contents:
            self._apply_subaccount_update(contents)

    def _apply_subaccount_update(self, contents: SubaccountUpdate) -> None:
        fields = contents.__dict__  # see the module's docstring
        height = fields["block_height"]
        # Most updates are of the current block: skip the call then (the feed's hot path).
        if height is not None and (self.block_height is None or height > self.block_height):
            self._raise_height(height)
        for order in fields["orders"]:
            self._apply_order(order)
        for fill in fields["fills"]:
            self._apply_fill(fill)
        for position in fields["perpetual_positions"]:
            self._apply_position(position)
        for asset in fields["asset_positions"]:
            self._apply_asset(asset)

    def _apply_order(self, update: IndexerOrder) -> None:
        fields = update.__dict__  # see the module's docstring
        order_id = fields["id"]
        tracked = self._orders.get(order_id)
        if tracked is None:
            if update.is_partial:
                # Fields we would need are missing: our picture of this account is
                # incomplete (or the indexer's), so rebuild it from a snapshot.
                self.request_resync(f"partial update for unknown order {order_id[:40]}")
                return
            tracked = TrackedOrder(update, seen=True)
            self._orders[order_id] = tracked
        else:
            stored = tracked.data
            # merged()'s usual case, without the call: a full update replaces the stored one.
            if update.__pydantic_fields_set__ >= stored.__pydantic_fields_set__:
                tracked.data = update
            else:
                tracked.data = merged(stored, update)
            tracked.seen = True
        status = fields["status"]
        if status is not None and status not in KNOWN_ORDER_STATUSES:  # status_known, inline
            self.unknown_statuses += 1
            logger.warning("order %s has unknown status %r", order_id[:40], status[:40])
        self._store(tracked)

    def _store(self, tracked: TrackedOrder) -> None:
        """Re-derive the status of a tracked order (one in `_orders`), queue a short-term
        expiry check, record the change."""
        order = tracked.data.__dict__  # see the module's docstring
        order_id = order["id"]
        status = tracked.status = derive_status(tracked, self.block_height)
        if status in FINAL_STATUSES:
            self._finish(order_id)
        else:
            gtb = order["good_til_block"]
            if (
                gtb is not None
                and gtb != tracked.expiry_scheduled
                and order["order_flags"] in (SHORT_TERM_FLAGS, None)
            ):
                tracked.expiry_scheduled = gtb
                heapq.heappush(self._expiries, (gtb, order_id))
        self._order_changes[order_id] = tracked.change

    def _finish(self, order_id: str) -> None:
        """Remember a final order; past the limit, drop the oldest (memory stays bounded)."""
        finished = self._finished
        finished.pop(order_id, None)
        finished[order_id] = None
        if len(finished) > self._finished_limit:
            oldest = next(iter(finished))
            del finished[oldest]
            tracked = self._orders.get(oldest)
            if tracked is not None and tracked.status.is_final:
                del self._orders[oldest]
                self._order_changes[oldest] = tracked.change

    def _apply_fill(self, fill: Fill) -> None:
        if fill.id in self._fills:
            return  # seen before (REST polling and the WebSocket may both report it)
        self._fills[fill.id] = fill
        if len(self._fills) > self._fill_history:
            del self._fills[next(iter(self._fills))]
        market = fill.ticker or self._ticker_of_clob_pair(fill.clob_pair_id) or "?"
        pnl = self._pnl.get(market)
        if pnl is None:
            pnl = self._pnl[market] = MarketPnl()
        pnl.apply_fill(fill.side, fill.size, fill.price, fill.fee or ZERO)
        self._changes[FillRecorded(market)] = None
        self._changes[PositionChanged(market)] = None

    def _apply_position(self, position: PerpetualPositionUpdate) -> None:
        market = position.market
        if position.status in CLOSED_POSITION_STATUSES or position.size == 0:
            self._positions.pop(market, None)
        else:
            self._positions[market] = position
        self._changes[PositionChanged(market)] = None

    def _apply_asset(self, asset: AssetPosition) -> None:
        self._assets[asset.symbol] = asset.signed_size
        self._changes[BalanceChanged()] = None

    # -------------------------------------------------------------- markets

    def _on_markets_snapshot(self, message: MarketsSubscribed) -> None:
        self._markets = {}
        for ticker, market in message.contents.markets.items():
            if market.ticker is None:
                market = market.model_copy(update={"ticker": ticker})
            self._markets[ticker] = market
            self._changes[MarketChanged(ticker)] = None
        for market_name in self._positions:
            self._changes[PositionChanged(market_name)] = None

    def _on_markets_data(self, message: MarketsChannelData) -> None:
        self._apply_markets_update(message.contents)

    def _on_markets_batch(self, message: MarketsBatchData) -> None:
        for contents in message.contents:
            self._apply_markets_update(contents)

    def _apply_markets_update(self, contents: MarketsUpdate) -> None:
        for ticker, change in (contents.trading or {}).items():
            known = self._markets.get(ticker)
            if known is None:  # a newly listed market
                known = PerpetualMarket(ticker=ticker)
            fields = {name: change.__dict__[name] for name in change.model_fields_set}
            fields["ticker"] = ticker
            self._markets[ticker] = known.model_copy(update=fields)
            self._changes[MarketChanged(ticker)] = None
        for ticker, oracle in (contents.oracle_prices or {}).items():
            known = self._markets.get(ticker) or PerpetualMarket(ticker=ticker)
            self._markets[ticker] = known.model_copy(update={"oracle_price": oracle.oracle_price})
            self._changes[MarketChanged(ticker)] = None
            if ticker in self._positions:
                self._changes[PositionChanged(ticker)] = None

    def _ticker_of_clob_pair(self, clob_pair_id: int | None) -> str | None:
        if clob_pair_id is None:
            return None
        for ticker, market in self._markets.items():
            if market.clob_pair_id == clob_pair_id:
                return ticker
        return None

    # --------------------------------------------------------- block height

    def _on_block_height_snapshot(self, message: BlockHeightSubscribed) -> None:
        self._set_block(message.contents.height, message.contents.time)

    def _on_block_height_data(self, message: BlockHeightChannelData) -> None:
        self._set_block(message.contents.block_height, message.contents.time)

    def _on_block_height_batch(self, message: BlockHeightBatchData) -> None:
        for contents in message.contents:
            self._set_block(contents.block_height, contents.time)

    def _set_block(self, height: int, time: datetime) -> None:
        if self.block_height is None or height >= self.block_height:
            self.block_time = time
        self._raise_height(height)

    def _raise_height(self, height: int) -> None:
        """Heights only move forward; short-term orders past their GTB expire here."""
        if self.block_height is not None and height <= self.block_height:
            return
        self.block_height = height
        self.block_heard_at = time.monotonic()
        self._changes[BlockHeightChanged()] = None
        expiries = self._expiries
        while expiries and expiries[0][0] < height:
            gtb, order_id = heapq.heappop(expiries)
            tracked = self._orders.get(order_id)
            if tracked is None or tracked.expiry_scheduled != gtb:
                continue  # gone, or re-placed with another GTB (queued again)
            tracked.expiry_scheduled = None
            status = derive_status(tracked, height)
            if status is not tracked.status:
                tracked.status = status
                if status.is_final:
                    self._finish(order_id)
                self._order_changes[order_id] = tracked.change

    # ------------------------------------------------------ books and trades

    def _on_orderbook_snapshot(self, message: OrderbookSubscribed) -> None:
        ticker = message.id or "?"
        book = self._books.get(ticker) or OrderBook(ticker)
        book.apply_snapshot(message.contents)
        self._books[ticker] = book
        self._changes[OrderBookChanged(ticker)] = None

    def _on_orderbook_data(self, message: OrderbookChannelData) -> None:
        book = self._books.get(message.id or "?")
        if book is not None:  # updates before the snapshot are covered by it
            book.apply_update(message.contents)
            self._changes[OrderBookChanged(book.ticker)] = None

    def _on_orderbook_batch(self, message: OrderbookBatchData) -> None:
        book = self._books.get(message.id or "?")
        if book is not None:
            for contents in message.contents:
                book.apply_update(contents)
            self._changes[OrderBookChanged(book.ticker)] = None

    def _on_trades(self, message: TradesSubscribed | TradesChannelData) -> None:
        self._add_trades(message.id or "?", message.contents.trades)

    def _on_trades_batch(self, message: TradesBatchData) -> None:
        for contents in message.contents:
            self._add_trades(message.id or "?", contents.trades)

    def _add_trades(self, ticker: str, trades: Iterable[Trade]) -> None:
        history = self._trades.get(ticker)
        if history is None:
            history = self._trades[ticker] = deque(maxlen=TRADE_HISTORY)
        history.extend(trades)
        self._changes[TradesChanged(ticker)] = None

    def _on_unsubscribed(self, message: Unsubscribed) -> None:
        if message.channel == "v4_orderbook" and message.id is not None:
            if self._books.pop(message.id, None) is not None:
                self._changes[OrderBookChanged(message.id)] = None
        elif message.channel == "v4_trades" and message.id is not None:
            if self._trades.pop(message.id, None) is not None:
                self._changes[TradesChanged(message.id)] = None

    # --------------------------------------------------------------- misc

    def _on_connected(self, message: Connected) -> None:
        pass  # the message-id tracker already started counting the new connection

    def _on_rejected(self, rejection: MessageRejected) -> None:
        self.rejected_messages += 1
        if rejection.channel in ("v4_subaccounts", None):
            # It may have carried one of our orders or fills: we cannot know what we lost.
            self.request_resync(f"a message was rejected ({rejection.reason.value})")

    def _ignore(self, message: Any) -> None:
        self.ignored_messages += 1

    def _notify(self) -> tuple[Change, ...]:
        order_changes = self._order_changes
        other_changes = self._changes
        if other_changes:
            changes: tuple[Change, ...] = (*other_changes, *order_changes.values())
            other_changes.clear()
        elif order_changes:  # the feed's usual case: only orders changed
            changes = tuple(order_changes.values())
        else:
            return ()
        order_changes.clear()
        for listener in self._listeners:
            for change in changes:
                try:
                    listener(change)
                except Exception:  # one broken subscriber must not stop the others
                    logger.exception("state listener %r failed", listener)
        return changes
