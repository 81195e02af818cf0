"""IndexerStore: what the devnet's indexer knows, built from the chain's event stream.

At start it reads the chain's current state once (markets, subaccounts, open orders, book
levels); from then on it follows `chain.subscribe(...)`. It keeps order history with the
indexer's statuses, fills, positions, balances, trades, candles, 24 h market stats and
hourly (configurable) pnl ticks, and publishes a change feed for the WebSocket server
(every subaccount change twice: for the subaccount and for its parent).

As on the real network there are two kinds of update: off-chain ones (short-term orders
placed or cancelled best-effort, book levels) go out at once; on-chain ones are collected
per subaccount and market and go out as one message each when the block is committed
(the real indexer's block processor does the same: see the fill capture, which carries
fills, the order and the position in one message).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tui_app.devnet import events as ev
from tui_app.devnet.markets import MarketParams
from tui_app.devnet.params import FLAG_SHORT_TERM
from tui_app.devnet.types import Fill, Order, RemovalReason, Side, SubaccountId

from . import ids
from .candles import CandleBook
from .candles import channel_id as candle_channel_id
from .market_state import MarketState, Trade
from .orders import (
    BEST_EFFORT_CANCELED,
    BEST_EFFORT_OPENED,
    CANCELED,
    FILLED,
    OPEN,
    UNTRIGGERED,
    OrderRecord,
)
from .parents import is_child_of, parent_channel_id, parent_contents, sum_strings
from .positions import PositionRecord
from .render import asset_position_rest, asset_position_ws, dec, fill_ws, iso, usdc
from .transfers import TransferRecord

log = logging.getLogger(__name__)

SUBACCOUNTS = "v4_subaccounts"
MARKETS = "v4_markets"
ORDERBOOK = "v4_orderbook"
TRADES = "v4_trades"
BLOCK_HEIGHT = "v4_block_height"
CANDLES = "v4_candles"
PARENT_SUBACCOUNTS = "v4_parent_subaccounts"


@dataclass(frozen=True)
class Change:
    """One update for the subscribers of (channel, id); `id` is None for v4_markets.

    `subaccount_number` is the child's number on v4_parent_subaccounts (the envelope's
    `subaccountNumber`), None on every other channel."""

    channel: str
    id: str | None
    contents: dict
    subaccount_number: int | None = None


def subaccount_channel_id(subaccount: SubaccountId) -> str:
    return f"{subaccount.owner}/{subaccount.number}"


@dataclass
class _PendingSubaccount:
    """A subaccount's on-chain updates of the block being processed (latest state wins)."""

    orders: dict[str, dict] = field(default_factory=dict)
    fills: list[dict] = field(default_factory=list)
    positions: dict[str, dict] = field(default_factory=dict)
    assets: dict[str, dict] = field(default_factory=dict)
    transfers: list[dict] = field(default_factory=list)
    # Conditional orders triggered in the block: ender hands them to vulcan, which sends
    # each in a message of its own after the block's.
    triggered: list[dict] = field(default_factory=list)

    def messages(self) -> list[dict]:
        """The block's contents for this subaccount, split as the real block processor
        splits them: fills with their orders and positions (fill and order events), then
        balances (the subaccount-update event), then one message per transfer (ender's
        transfer handler sends `transfers` alone, a single object), then one per triggered
        conditional order."""
        trading: dict[str, Any] = {}
        if self.positions:
            trading["perpetualPositions"] = list(self.positions.values())
        if self.orders:
            trading["orders"] = list(self.orders.values())
        if self.fills:
            trading["fills"] = self.fills
        balances = {"assetPositions": list(self.assets.values())} if self.assets else {}
        transfers = [{"transfers": t} for t in self.transfers]
        triggered = [{"orders": [order]} for order in self.triggered]
        return [m for m in (trading, balances) if m] + transfers + triggered


class IndexerStore:
    def __init__(self, chain: Any, pnl_interval_seconds: int = 3600) -> None:
        self.chain = chain
        self.pnl_interval_seconds = pnl_interval_seconds
        self.height: int = 0
        self.time: datetime | None = None
        self.markets: dict[str, MarketState] = {}
        self._by_clob: dict[int, MarketState] = {}
        self._by_perpetual: dict[int, MarketState] = {}
        self.orders: dict[str, OrderRecord] = {}
        self._orders_by_subaccount: dict[SubaccountId, dict[str, OrderRecord]] = {}
        self.fills: dict[SubaccountId, list[Fill]] = {}
        self.positions: dict[SubaccountId, dict[str, PositionRecord]] = {}
        self._current_position: dict[tuple[SubaccountId, int], PositionRecord] = {}
        self.usdc: dict[SubaccountId, int] = {}
        self.transfers: dict[SubaccountId, list[TransferRecord]] = {}
        self.updated_height: dict[SubaccountId, int] = {}
        self._net_transfers: dict[SubaccountId, int] = {}
        self.pnl_ticks: dict[SubaccountId, list[dict]] = {}
        self._last_pnl_bucket: int | None = None
        self._pending: dict[SubaccountId, _PendingSubaccount] = {}
        self._pending_trades: dict[str, list[dict]] = {}
        self._pending_oracle: dict[str, dict] = {}
        self._stats_dirty: set[str] = set()
        self.candles = CandleBook()
        # Each market's long open interest when the block being processed began.
        self._open_interest_before: dict[str, Decimal] = {}
        self._listeners: list[Callable[[Change], None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    # ---- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        """Read the chain's state once, then follow its events."""
        chain = self.chain
        self.height = chain.height
        self.time = chain.block_time
        for params in chain.markets.values():
            self._add_market(params, chain.oracle_price(params.clob_pair_id))
        for sub in chain.subaccounts():
            self._load_subaccount(sub)
        untriggered = {o.order_id for o in chain.untriggered_orders()}
        for order in chain.open_orders():
            self._load_order(order, order.order_id in untriggered)
        self._snapshot_open_interest()
        self._unsubscribe = chain.subscribe(self.on_event)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def listen(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _add_market(self, params: MarketParams, oracle_price) -> None:
        state = MarketState(params, oracle_price)
        state.set_oracle_price(oracle_price, self.time)
        bids, asks = self.chain.book_levels(params.clob_pair_id)
        for side, levels in ((Side.BUY, bids), (Side.SELL, asks)):
            for subticks, quantums in levels:
                state.set_level(side, subticks, quantums)
        self.markets[params.ticker] = state
        self._by_clob[params.clob_pair_id] = state
        self._by_perpetual[params.perpetual_id] = state

    def _load_subaccount(self, sub) -> None:
        self.usdc[sub.id] = sub.usdc_quantums
        self.updated_height[sub.id] = sub.updated_height
        # Whatever the subaccount is worth when the indexer starts counts as transferred in,
        # so its total pnl starts at zero.
        self._net_transfers[sub.id] = self.chain.equity_quote(sub.id)
        for position in sub.positions.values():
            market = self._by_perpetual.get(position.perpetual_id)
            if market is not None and position.quantums:
                self._apply_position(sub.id, market, position)

    def _load_order(self, order: Order, untriggered: bool) -> None:
        market = self._by_clob.get(order.order_id.clob_pair_id)
        if market is None:
            return
        short = order.order_id.order_flags == FLAG_SHORT_TERM
        if short:
            status = OPEN if order.filled_quantums else BEST_EFFORT_OPENED
        else:
            status = UNTRIGGERED if untriggered else OPEN
        record = self._record(order, market)
        record.status = status
        record.on_chain = not short or order.filled_quantums > 0
        if record.on_chain:
            record.created_height = order.placed_height
            record.updated_height = order.updated_height or order.placed_height
            record.updated_at = order.updated_at or order.placed_at

    # ---- events ------------------------------------------------------------------------

    def on_event(self, event: ev.ChainEvent) -> None:
        handler = self._HANDLERS.get(type(event))
        if handler is None:
            return
        try:
            handler(self, event)
        except Exception:  # the chain must never fail because its indexer did
            log.exception("indexer store failed on %r", event)

    def _on_order_placed(self, event: ev.OrderPlaced) -> None:
        market = self._by_clob.get(event.order.order_id.clob_pair_id)
        if market is None:
            return
        record = self._record(event.order, market)
        record.removal_reason = None
        record.optimistic_filled = 0
        if not event.on_chain:
            record.status = BEST_EFFORT_OPENED
            self._publish_subaccount(record.order.order_id.subaccount, record.best_effort_message())
            return
        # A conditional order is placed untriggered (ConditionalOrderTriggered opens it).
        record.status = UNTRIGGERED if event.order.condition_type else OPEN
        record.on_chain = True
        if record.created_height is None:
            record.created_height = event.height
        self._touch(record, event.height, event.time)
        self._pend(record.order.order_id.subaccount).orders[record.id] = record.placed_message()

    def _on_conditional_triggered(self, event: ev.ConditionalOrderTriggered) -> None:
        market = self._by_clob.get(event.order.order_id.clob_pair_id)
        if market is None:
            return
        record = self._record(event.order, market)
        record.status = OPEN
        self._touch(record, event.height, event.time)
        self._pend(record.order.order_id.subaccount).triggered.append(record.triggered_message())

    def _on_order_filled(self, event: ev.OrderFilled) -> None:
        market = self._by_clob.get(event.order.order_id.clob_pair_id)
        if market is None:
            return
        record = self._record(event.order, market)
        record.status = FILLED if event.order.is_fully_filled else OPEN
        record.on_chain = True
        if record.created_height is None:
            record.created_height = event.height
        self._touch(record, event.height, event.time)
        self._pend(record.order.order_id.subaccount).orders[record.id] = record.fill_message()

    def _on_order_removed(self, event: ev.OrderRemoved) -> None:
        market = self._by_clob.get(event.order.order_id.clob_pair_id)
        if market is None:
            return
        record = self._record(event.order, market)
        subaccount = record.order.order_id.subaccount
        if not event.final:
            record.status = BEST_EFFORT_CANCELED
            record.removal_reason = event.reason.value
            record.optimistic_filled = event.order.filled_quantums
            self._publish_subaccount(subaccount, record.best_effort_message())
            return
        if event.reason is RemovalReason.FULLY_FILLED or event.order.is_fully_filled:
            record.status = FILLED
            self._touch(record, event.height, event.time)
            self._pend(subaccount).orders[record.id] = record.fill_message()
            return
        record.status = CANCELED
        record.removal_reason = event.reason.value
        if record.on_chain:
            self._touch(record, event.height, event.time)
        self._pend(subaccount).orders[record.id] = record.removed_message()

    def _on_fill(self, event: ev.FillCreated) -> None:
        fill = event.fill
        market = self._by_clob.get(fill.clob_pair_id)
        if market is None:
            return
        self.fills.setdefault(fill.subaccount, []).append(fill)
        self._pend(fill.subaccount).fills.append(fill_ws(fill, market.params))

    def _on_position(self, event: ev.PositionChanged) -> None:
        market = self._by_perpetual.get(event.position.perpetual_id)
        if market is None:
            return
        record = self._apply_position(event.subaccount, market, event.position)
        self.updated_height[event.subaccount] = event.height
        self._pend(event.subaccount).positions[record.id] = record.ws_object(market.oracle_price)
        self._stats_dirty.add(market.ticker)

    def _apply_position(
        self, subaccount: SubaccountId, market: MarketState, position
    ) -> PositionRecord:
        key = (subaccount, position.perpetual_id)
        record = self._current_position.get(key)
        before = record.position.quantums if record else 0
        if record is None or record.position.open_event_id != position.open_event_id:
            record = PositionRecord.create(subaccount, market.params, position)
            self._current_position[key] = record
            self.positions.setdefault(subaccount, {})[record.id] = record
        else:
            record.update(position)
        # Open interest counts the long side only.
        market.open_interest_quantums += max(position.quantums, 0) - max(before, 0)
        return record

    def _on_balance(self, event: ev.BalanceChanged) -> None:
        sid = event.subaccount
        if sid not in self.usdc and sid not in self._net_transfers:
            # A subaccount's first balance (genesis funding) counts as a deposit.
            self._net_transfers[sid] = event.usdc_quantums
        self.usdc[sid] = event.usdc_quantums
        self.updated_height[sid] = event.height
        body = asset_position_ws(event.usdc_quantums, sid.owner, sid.number)
        self._pend(sid).assets[body["positionId"]] = body

    def _on_transfer(self, event: ev.TransferCreated) -> None:
        record = TransferRecord.of(event)
        for sid in record.subaccounts:
            self.transfers.setdefault(sid, []).append(record)
            self._pend(sid).transfers.append(record.ws_object(sid))
            sign = -1 if sid == record.sender_subaccount else 1
            self._net_transfers[sid] = self._net_transfers.get(sid, 0) + sign * record.quantums

    def _on_trade(self, event: ev.TradeExecuted) -> None:
        market = self.markets.get(event.ticker)
        if market is None:
            return
        trade = Trade(
            event_id=ids.event_id_hex(event.event_id),
            side=event.taker_side,
            quantums=event.quantums,
            subticks=event.subticks,
            quote_quantums=market.params.quote_quantums(event.quantums, event.subticks),
            height=event.height,
            time=event.time,
        )
        market.trades.append(trade)
        params = market.params
        self.candles.add_trade(
            event.ticker,
            params.subticks_to_price(event.subticks),
            params.quantums_to_size(event.quantums),
        )
        self._pending_trades.setdefault(event.ticker, []).append(market.trade_update(trade))
        self._stats_dirty.add(event.ticker)

    def _on_oracle(self, event: ev.OraclePriceChanged) -> None:
        market = self.markets.get(event.ticker)
        if market is None:
            return
        market.set_oracle_price(event.price, event.time)
        self._pending_oracle[event.ticker] = {
            "oraclePrice": dec(event.price),
            "effectiveAt": iso(event.time),
            "effectiveAtHeight": str(event.height),
            "marketId": event.market_id,
        }

    def _on_book_level(self, event: ev.BookLevelChanged) -> None:
        market = self.markets.get(event.ticker)
        if market is None:
            return
        market.set_level(event.side, event.subticks, event.quantums)
        key = "bids" if event.side is Side.BUY else "asks"
        level = market.level_pair(event.subticks, event.quantums)
        self._publish(Change(ORDERBOOK, event.ticker, {key: [level]}))

    def _on_block(self, event: ev.BlockCommitted) -> None:
        self.height = event.height
        self.time = event.time
        self._record_pnl_ticks(event.height, event.time)
        height = str(event.height)
        pending, self._pending = self._pending, {}
        for sid, updates in pending.items():
            for contents in updates.messages():
                contents["blockHeight"] = height
                self._publish_subaccount_contents(sid, contents)
        trades, self._pending_trades = self._pending_trades, {}
        for ticker, items in trades.items():
            self._publish(Change(TRADES, ticker, {"trades": items}))
        self._publish_candles(event.time)
        if self._pending_oracle:
            oracle, self._pending_oracle = self._pending_oracle, {}
            self._publish(Change(MARKETS, None, {"oraclePrices": oracle}))
        if self._stats_dirty:
            dirty, self._stats_dirty = self._stats_dirty, set()
            trading = {t: self._trading_update(self.markets[t]) for t in sorted(dirty)}
            self._publish(Change(MARKETS, None, {"trading": trading}))
        self._publish(
            Change(BLOCK_HEIGHT, BLOCK_HEIGHT, {"blockHeight": height, "time": iso(event.time)})
        )
        self._snapshot_open_interest()

    _HANDLERS: dict[type, Callable[[IndexerStore, Any], None]] = {
        ev.OrderPlaced: _on_order_placed,
        ev.ConditionalOrderTriggered: _on_conditional_triggered,
        ev.OrderFilled: _on_order_filled,
        ev.OrderRemoved: _on_order_removed,
        ev.FillCreated: _on_fill,
        ev.PositionChanged: _on_position,
        ev.BalanceChanged: _on_balance,
        ev.TransferCreated: _on_transfer,
        ev.TradeExecuted: _on_trade,
        ev.OraclePriceChanged: _on_oracle,
        ev.BookLevelChanged: _on_book_level,
        ev.BlockCommitted: _on_block,
    }

    # ---- helpers -----------------------------------------------------------------------

    def _record(self, order: Order, market: MarketState) -> OrderRecord:
        oid = ids.order_uuid_of(order.order_id)
        record = self.orders.get(oid)
        if record is None:
            record = OrderRecord(order=order, market=market.params, status=BEST_EFFORT_OPENED)
            self.orders[oid] = record
            subaccount = order.order_id.subaccount
            self._orders_by_subaccount.setdefault(subaccount, {})[oid] = record
        else:
            record.order = order
        return record

    @staticmethod
    def _touch(record: OrderRecord, height: int, time: datetime) -> None:
        record.updated_height = height
        record.updated_at = time

    def _pend(self, subaccount: SubaccountId) -> _PendingSubaccount:
        return self._pending.setdefault(subaccount, _PendingSubaccount())

    def _publish_subaccount(self, subaccount: SubaccountId, order: dict) -> None:
        contents = {"orders": [order], "blockHeight": str(self.height)}
        self._publish_subaccount_contents(subaccount, contents)

    def _publish_subaccount_contents(self, subaccount: SubaccountId, contents: dict) -> None:
        """socks forwards each subaccount message twice: to the subaccount's channel and to
        its parent's, with the child's number in the envelope."""
        self._publish(Change(SUBACCOUNTS, subaccount_channel_id(subaccount), contents))
        parent_id = parent_channel_id(subaccount)
        if parent_id is not None:
            self._publish(
                Change(PARENT_SUBACCOUNTS, parent_id, parent_contents(contents), subaccount.number)
            )

    def _publish_candles(self, time: datetime) -> None:
        markets = sorted(self.markets.values(), key=lambda m: m.params.clob_pair_id)
        changed = self.candles.on_block(
            time,
            [m.ticker for m in markets],
            self._open_interest_before,
            {m.ticker: m.mid_price() for m in markets},
        )
        for candle in changed:
            channel_id = candle_channel_id(candle.ticker, candle.resolution)
            self._publish(Change(CANDLES, channel_id, candle.as_dict()))

    def _snapshot_open_interest(self) -> None:
        self._open_interest_before = {
            m.ticker: m.params.quantums_to_size(m.open_interest_quantums)
            for m in self.markets.values()
        }

    def _publish(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                log.exception("indexer change listener failed")

    def _trading_update(self, market: MarketState) -> dict:
        params = market.params
        return {
            "id": str(params.perpetual_id),
            "clobPairId": str(params.clob_pair_id),
            "ticker": params.ticker,
            "marketId": params.market_id,
            **market.stats(self.time),
        }

    def _record_pnl_ticks(self, height: int, time: datetime) -> None:
        bucket = int(time.timestamp()) // self.pnl_interval_seconds
        if bucket == self._last_pnl_bucket:
            return
        self._last_pnl_bucket = bucket
        for sid in self.usdc:
            equity = self.chain.equity_quote(sid)
            net = self._net_transfers.get(sid, 0)
            subaccount_id = ids.subaccount_uuid_of(sid)
            self.pnl_ticks.setdefault(sid, []).append(
                {
                    "id": ids.pnl_tick_uuid(subaccount_id, iso(time)),
                    "subaccountId": subaccount_id,
                    "equity": usdc(equity),
                    "totalPnl": usdc(equity - net),
                    "netTransfers": usdc(net),
                    "createdAt": iso(time),
                    "blockHeight": str(height),
                    "blockTime": iso(time),
                }
            )

    # ---- queries (REST and WS snapshots) -----------------------------------------------

    def market_by_ticker(self, ticker: str) -> MarketState | None:
        return self.markets.get(ticker)

    def market_by_clob(self, clob_pair_id: int) -> MarketState | None:
        return self._by_clob.get(clob_pair_id)

    def markets_object(self, ticker: str | None = None) -> dict:
        chosen = [self.markets[ticker]] if ticker else self.markets.values()
        return {"markets": {m.ticker: m.market_object(self.time) for m in chosen}}

    def height_object(self) -> dict:
        return {"height": str(self.height), "time": iso(self.time)}

    def subaccount_ids(self, address: str) -> list[SubaccountId]:
        return sorted(sid for sid in self.usdc if sid.owner == address)

    def has_subaccount(self, sid: SubaccountId) -> bool:
        return sid in self.usdc

    def subaccount_object(self, sid: SubaccountId) -> dict:
        """REST SubaccountResponseObject (the `subaccount` of a v4_subaccounts snapshot)."""
        open_positions = {
            r.market.ticker: r.rest_object(self.markets[r.market.ticker].oracle_price)
            for r in self.positions.get(sid, {}).values()
            if r.is_open
        }
        return {
            "address": sid.owner,
            "subaccountNumber": sid.number,
            "equity": usdc(self.chain.equity_quote(sid)),
            "freeCollateral": usdc(self.chain.free_collateral_quote(sid)),
            "openPerpetualPositions": open_positions,
            "assetPositions": {a["symbol"]: a for a in self.asset_positions(sid)},
            "marginEnabled": True,
            "updatedAtHeight": str(self.updated_height.get(sid, 0)),
            "latestProcessedBlockHeight": str(self.height),
        }

    def child_subaccount_ids(self, address: str, parent: int) -> list[SubaccountId]:
        """The parent's children the indexer knows, by number (the parent itself first)."""
        return [s for s in self.subaccount_ids(address) if is_child_of(s.number, parent)]

    def parent_subaccount_object(self, address: str, parent: int) -> dict | None:
        """REST ParentSubaccountResponse (the `subaccount` of a v4_parent_subaccounts
        snapshot); None when no child exists (comlink's 404)."""
        children = [self.subaccount_object(s) for s in self.child_subaccount_ids(address, parent)]
        if not children:
            return None
        return {
            "address": address,
            "parentSubaccountNumber": parent,
            "equity": sum_strings([c["equity"] for c in children]),
            "freeCollateral": sum_strings([c["freeCollateral"] for c in children]),
            "childSubaccounts": children,
        }

    def candles_object(
        self, ticker: str, resolution: str, limit: int, from_time=None, to_time=None
    ) -> dict:
        """REST `/v4/candles/perpetualMarkets/{ticker}` (and the v4_candles snapshot)."""
        chosen = self.candles.query(ticker, resolution, limit, from_time, to_time)
        return {"candles": [c.as_dict() for c in chosen]}

    def asset_positions(self, sid: SubaccountId) -> list[dict]:
        """REST asset positions: comlink's filterAssetPositions drops a zero balance (a
        subaccount emptied by a withdrawal has none)."""
        usdc_quantums = self.usdc[sid]
        return [asset_position_rest(usdc_quantums, sid.number)] if usdc_quantums else []

    def order_records(self, sid: SubaccountId) -> list[OrderRecord]:
        return list(self._orders_by_subaccount.get(sid, {}).values())

    def transfer_records(self, sids: list[SubaccountId]) -> list[TransferRecord]:
        """The subaccounts' transfers, each once, newest first (by event id)."""
        unique = {r.event_id: r for sid in sids for r in self.transfers.get(sid, [])}
        return sorted(unique.values(), key=lambda r: r.event_id, reverse=True)

    def position_records(self, sid: SubaccountId) -> list[PositionRecord]:
        return list(self.positions.get(sid, {}).values())

    def oracle_price(self, ticker: str):
        return self.markets[ticker].oracle_price

