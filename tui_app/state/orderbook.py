"""An order book for one market, kept from the `v4_orderbook` snapshot and its updates."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from tui_app.models import OrderbookLevel, OrderbookSnapshot, OrderbookUpdate


class OrderBook:
    """Price -> size per side; an update carries the absolute size, 0 deletes the level.

    The indexer's book is best-effort and may be crossed for a moment; it is kept as sent.
    """

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def apply_snapshot(self, snapshot: OrderbookSnapshot) -> None:
        self.bids = _levels(snapshot.bids)
        self.asks = _levels(snapshot.asks)

    def apply_update(self, update: OrderbookUpdate) -> None:
        _apply(self.bids, update.bids)
        _apply(self.asks, update.asks)

    def top(
        self, depth: int = 10
    ) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Best `depth` bids (descending) and asks (ascending)."""
        bids = sorted(self.bids.items(), reverse=True)[:depth]
        asks = sorted(self.asks.items())[:depth]
        return bids, asks

    def best_bid(self) -> Decimal | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> Decimal | None:
        return min(self.asks) if self.asks else None


def _levels(levels: Iterable[OrderbookLevel]) -> dict[Decimal, Decimal]:
    return {level.price: level.size for level in levels if level.size > 0}


def _apply(side: dict[Decimal, Decimal], changes: Iterable[tuple[Decimal, Decimal]]) -> None:
    for price, size in changes:
        if size > 0:
            side[price] = size
        else:
            side.pop(price, None)
