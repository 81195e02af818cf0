"""One perpetual market as the indexer reports it: oracle price, 24 h stats, book, trades."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from tui_app.devnet.markets import MarketParams
from tui_app.devnet.types import Side

from .render import dec, iso, market_static, side_name, usdc

DAY = timedelta(hours=24)
MAX_TRADES_KEPT = 1000
BOOK_DEPTH = 100  # levels per side in an orderbook snapshot, as the indexer caps it


@dataclass
class Trade:
    event_id: str
    side: Side  # the taker's side
    quantums: int
    subticks: int
    quote_quantums: int
    height: int
    time: datetime


@dataclass
class MarketState:
    params: MarketParams
    oracle_price: Decimal
    open_interest_quantums: int = 0
    # (time, price) of oracle updates over the last 24 h, oldest first.
    _prices: deque = field(default_factory=deque)
    trades: deque = field(default_factory=lambda: deque(maxlen=MAX_TRADES_KEPT))
    # price level (subticks) -> total quantums, per side.
    book: dict = field(default_factory=lambda: {Side.BUY: {}, Side.SELL: {}})

    @property
    def ticker(self) -> str:
        return self.params.ticker

    def set_oracle_price(self, price: Decimal, time: datetime) -> None:
        self.oracle_price = price
        self._prices.append((time, price))
        # Keep one price at or before the 24 h cutoff: it is the reference for the change.
        cutoff = time - DAY
        while len(self._prices) > 1 and self._prices[1][0] <= cutoff:
            self._prices.popleft()

    def price_change_24h(self) -> Decimal:
        if not self._prices:
            return Decimal(0)
        return self.oracle_price - self._prices[0][1]

    def trades_24h(self, now: datetime) -> list[Trade]:
        cutoff = now - DAY
        return [t for t in self.trades if t.time > cutoff]

    def stats(self, now: datetime) -> dict:
        recent = self.trades_24h(now)
        open_interest = dec(self.params.quantums_to_size(self.open_interest_quantums))
        return {
            "priceChange24H": dec(self.price_change_24h()),
            "volume24H": usdc(sum(t.quote_quantums for t in recent)),
            "trades24H": len(recent),
            "nextFundingRate": "0",
            "openInterest": open_interest,
            "baseOpenInterest": open_interest,
        }

    def market_object(self, now: datetime) -> dict:
        """PerpetualMarket of REST `/v4/perpetualMarkets` and the v4_markets snapshot."""
        body = market_static(self.params)
        body["oraclePrice"] = dec(self.oracle_price)
        return body | self.stats(now)

    # ---- order book --------------------------------------------------------------------

    def set_level(self, side: Side, subticks: int, quantums: int) -> None:
        levels = self.book[side]
        if quantums:
            levels[subticks] = quantums
        else:
            levels.pop(subticks, None)

    def mid_price(self) -> Decimal | None:
        """(best bid + best ask) / 2, None with a side empty (the indexer's book mid)."""
        bids, asks = self.book[Side.BUY], self.book[Side.SELL]
        if not bids or not asks:
            return None
        best = self.params.subticks_to_price(max(bids)) + self.params.subticks_to_price(min(asks))
        return best / 2

    def level_pair(self, subticks: int, quantums: int) -> list[str]:
        return [
            dec(self.params.subticks_to_price(subticks)),
            dec(self.params.quantums_to_size(quantums)),
        ]

    def orderbook_object(self) -> dict:
        def side_levels(side: Side) -> list[dict]:
            prices = sorted(self.book[side], reverse=side is Side.BUY)[:BOOK_DEPTH]
            return [
                dict(zip(("price", "size"), self.level_pair(p, self.book[side][p]), strict=True))
                for p in prices
            ]

        return {"bids": side_levels(Side.BUY), "asks": side_levels(Side.SELL)}

    # ---- trades ------------------------------------------------------------------------

    def trade_update(self, trade: Trade) -> dict:
        """A trade as `v4_trades` updates carry it."""
        return {
            "id": trade.event_id,
            "size": dec(self.params.quantums_to_size(trade.quantums)),
            "price": dec(self.params.subticks_to_price(trade.subticks)),
            "side": side_name(trade.side),
            "createdAt": iso(trade.time),
            "type": "LIMIT",
        }

    def trade_rest(self, trade: Trade) -> dict:
        """A trade as REST `/v4/trades` (and the v4_trades snapshot) returns it."""
        body = self.trade_update(trade)
        body["createdAtHeight"] = str(trade.height)
        return body
