"""Candles as dYdX's indexer builds them (ender's CandlesGenerator), from the devnet's trades.

Once per committed block, for every market and every resolution:
- the block's trades (in block order) make one block update: open/close the first/last
  trade price, low/high, base volume, usd volume (price x size summed), trade count;
- no candle yet: created only when the block has trades (a market that never traded
  has no candles);
- a candle exists but the block falls in a later period: the old candle gets its
  `orderbookMidPriceClose` and is sent again, then a new candle starts, from the block's
  trades or, without any, empty (open = high = low = close = the old close, volumes 0);
- same period: trades merge into it (a candle with no trades yet is replaced outright);
  no trades, nothing is sent.
`startingOpenInterest` is the market's long open interest before the block; the mid
prices are the order book's (best bid + best ask) / 2 when the candle is created, or null
with a one-sided book. Every created or changed candle is one `v4_candles` update.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from .render import dec, iso

# socks/comlink's CandleResolution, in the enum's order, with the period in seconds.
RESOLUTIONS: dict[str, int] = {
    "1MIN": 60,
    "5MINS": 300,
    "15MINS": 900,
    "30MINS": 1800,
    "1HOUR": 3600,
    "4HOURS": 14_400,
    "1DAY": 86_400,
}
# Candles kept per ticker and resolution (the real indexer keeps all; REST returns at most
# 1000 per request).
MAX_CANDLES_KEPT = 5000


def period_start(time: datetime, resolution: str) -> datetime:
    """The start of the candle period holding `time` (whole seconds, UTC)."""
    seconds = int(time.timestamp())
    return datetime.fromtimestamp(seconds - seconds % RESOLUTIONS[resolution], tz=UTC)


def channel_id(ticker: str, resolution: str) -> str:
    return f"{ticker}/{resolution}"


@dataclass
class BlockUpdate:
    """One market's trades of one block, folded (ender's BlockCandleUpdate)."""

    low: Decimal
    high: Decimal
    open: Decimal
    close: Decimal
    base_volume: Decimal
    usd_volume: Decimal
    trades: int

    @classmethod
    def first(cls, price: Decimal, size: Decimal) -> BlockUpdate:
        return cls(price, price, price, price, size, price * size, 1)

    def add(self, price: Decimal, size: Decimal) -> None:
        self.low = min(self.low, price)
        self.high = max(self.high, price)
        self.close = price
        self.base_volume += size
        self.usd_volume += price * size
        self.trades += 1


@dataclass
class Candle:
    started_at: datetime
    ticker: str
    resolution: str
    low: Decimal
    high: Decimal
    open: Decimal
    close: Decimal
    base_volume: Decimal
    usd_volume: Decimal
    trades: int
    starting_open_interest: Decimal
    mid_price_open: Decimal | None = None
    mid_price_close: Decimal | None = None

    def as_dict(self) -> dict:
        """The candle as REST and `v4_candles` send it (the database row without its id)."""
        return {
            "startedAt": iso(self.started_at),
            "ticker": self.ticker,
            "resolution": self.resolution,
            "low": dec(self.low),
            "high": dec(self.high),
            "open": dec(self.open),
            "close": dec(self.close),
            "baseTokenVolume": dec(self.base_volume),
            "usdVolume": dec(self.usd_volume),
            "trades": self.trades,
            "startingOpenInterest": dec(self.starting_open_interest),
            "orderbookMidPriceOpen": _maybe(self.mid_price_open),
            "orderbookMidPriceClose": _maybe(self.mid_price_close),
        }

    def merge(self, update: BlockUpdate) -> None:
        if self.trades == 0:
            # An empty candle is replaced by the block's trades (its open included).
            self.low, self.high, self.open = update.low, update.high, update.open
            self.base_volume, self.usd_volume = Decimal(0), Decimal(0)
        else:
            self.low = min(self.low, update.low)
            self.high = max(self.high, update.high)
        self.close = update.close
        self.base_volume += update.base_volume
        self.usd_volume += update.usd_volume
        self.trades += update.trades


def _maybe(value: Decimal | None) -> str | None:
    return None if value is None else dec(value)


@dataclass
class CandleBook:
    """Every market's candles, by ticker and resolution, oldest first."""

    series: dict[tuple[str, str], deque[Candle]] = field(default_factory=dict)
    _block: dict[str, BlockUpdate] = field(default_factory=dict)

    def add_trade(self, ticker: str, price: Decimal, size: Decimal) -> None:
        """A trade of the block being processed (call in block order)."""
        update = self._block.get(ticker)
        if update is None:
            self._block[ticker] = BlockUpdate.first(price, size)
        else:
            update.add(price, size)

    def on_block(
        self,
        time: datetime,
        tickers: Iterable[str],
        open_interest: dict[str, Decimal],
        mid_prices: dict[str, Decimal | None],
    ) -> list[Candle]:
        """Fold the block's trades in; returns the candles to send, in ender's order
        (market by market, resolution by resolution, a closed candle before its successor).

        `open_interest` is each market's long open interest before the block, `mid_prices`
        each book's mid price now."""
        block, self._block = self._block, {}
        changed: list[Candle] = []
        for ticker in tickers:
            update = block.get(ticker)
            for resolution in RESOLUTIONS:
                changed += self._one(
                    ticker,
                    resolution,
                    period_start(time, resolution),
                    update,
                    open_interest.get(ticker, Decimal(0)),
                    mid_prices.get(ticker),
                )
        return changed

    def _one(
        self,
        ticker: str,
        resolution: str,
        start: datetime,
        update: BlockUpdate | None,
        open_interest: Decimal,
        mid: Decimal | None,
    ) -> list[Candle]:
        series = self.series.get((ticker, resolution))
        current = series[-1] if series else None
        if current is not None and current.started_at == start:
            if update is None:
                return []
            current.merge(update)
            return [current]
        if current is None and update is None:
            return []
        changed: list[Candle] = []
        if current is not None:
            # The period rolled over: the old candle closes with the book's mid price.
            if mid is not None:
                current.mid_price_close = mid
            changed.append(current)
            previous_close = current.close
        if update is not None:
            candle = Candle(
                start, ticker, resolution, update.low, update.high, update.open, update.close,
                update.base_volume, update.usd_volume, update.trades, open_interest, mid, mid,
            )  # fmt: skip
        else:
            candle = Candle(
                start, ticker, resolution, previous_close, previous_close, previous_close,
                previous_close, Decimal(0), Decimal(0), 0, open_interest, mid, mid,
            )  # fmt: skip
        if series is None:
            series = self.series[(ticker, resolution)] = deque(maxlen=MAX_CANDLES_KEPT)
        series.append(candle)
        changed.append(candle)
        return changed

    def query(
        self,
        ticker: str,
        resolution: str,
        limit: int,
        from_time: datetime | None = None,
        to_time: datetime | None = None,
    ) -> list[Candle]:
        """Newest first; `from_time` inclusive, `to_time` exclusive (comlink's findAll)."""
        chosen = [
            c
            for c in reversed(self.series.get((ticker, resolution), ()))
            if (from_time is None or c.started_at >= from_time)
            and (to_time is None or c.started_at < to_time)
        ]
        return chosen[:limit]
