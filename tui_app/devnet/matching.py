"""The matching engine: price-time priority, partial fills, self-trade prevention, margin.

It matches one taker order against the resting book of its market and reports what
happened as `Match` records and removed makers; it does not emit events or know about
transactions. The chain books each match into the ledger right after matching, so that
the next order's collateral check sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from tui_app.devnet.ledger import Ledger, fee_quote_quantums
from tui_app.devnet.markets import MarketParams
from tui_app.devnet.orderbook import OrderBook
from tui_app.devnet.types import Order, OrderId, RemovalReason


@dataclass(frozen=True)
class Match:
    maker: Order  # snapshots after the match
    taker: Order
    quantums: int
    subticks: int  # the maker's price
    maker_fee_quote: int
    taker_fee_quote: int


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)
    # Makers taken off the book during this match, with why (filled, self-trade, margin).
    removed_makers: list[tuple[Order, RemovalReason]] = field(default_factory=list)
    # Set when the taker itself could not go on (its margin failed mid-way).
    taker_stopped: RemovalReason | None = None

    @property
    def filled_quantums(self) -> int:
        return sum(m.quantums for m in self.matches)


class MatchingEngine:
    def __init__(
        self,
        markets: dict[int, MarketParams],
        oracles: dict[int, Decimal],
        ledger: Ledger,
        taker_fee_rate: Decimal,
        maker_fee_rate: Decimal,
    ) -> None:
        self.markets = markets  # by clob pair id (== perpetual id here)
        self.oracles = oracles  # by perpetual id, shared with the chain (updated in place)
        self.ledger = ledger
        self.taker_fee_rate = taker_fee_rate
        self.maker_fee_rate = maker_fee_rate
        self.books = {clob_id: OrderBook(clob_id) for clob_id in markets}
        self._arrival = 0

    def stamp(self, order: Order) -> None:
        """Give an order its place in time priority."""
        self._arrival += 1
        order.sequence = self._arrival

    def find(self, order_id: OrderId) -> Order | None:
        book = self.books.get(order_id.clob_pair_id)
        return book.get(order_id) if book else None

    def would_cross(self, order: Order) -> bool:
        best = self.books[order.order_id.clob_pair_id].best_price(order.side.opposite)
        return best is not None and OrderBook.crosses(order.side, order.subticks, best)

    def collateral_ok(self, order: Order, quantums: int, subticks: int) -> bool:
        market = self.markets[order.order_id.clob_pair_id]
        return self.ledger.would_stay_collateralized(
            order.order_id.subaccount,
            market,
            order.side,
            quantums,
            subticks,
            self._markets_by_perpetual(),
            self.oracles,
        )

    def match(self, taker: Order, book_match: Callable[[Match], None]) -> MatchResult:
        """Match `taker` against the book until it is filled or no longer crosses.

        `book_match` is called after each match, before the next collateral check, so the
        caller can move the money first.
        """
        result = MatchResult()
        book = self.books[taker.order_id.clob_pair_id]
        market = self.markets[taker.order_id.clob_pair_id]
        for maker in book.makers_for(taker.side, taker.subticks):
            if taker.remaining_quantums <= 0:
                break
            if maker.order_id.subaccount == taker.order_id.subaccount:
                # Self-trade prevention: the resting order goes, the taker continues.
                book.remove(maker.order_id)
                result.removed_makers.append((maker, RemovalReason.SELF_TRADE_ERROR))
                continue
            quantums = min(taker.remaining_quantums, maker.remaining_quantums)
            if not self.collateral_ok(maker, quantums, maker.subticks):
                book.remove(maker.order_id)
                result.removed_makers.append((maker, RemovalReason.UNDERCOLLATERALIZED))
                continue
            if not self.collateral_ok(taker, quantums, maker.subticks):
                result.taker_stopped = RemovalReason.UNDERCOLLATERALIZED
                break
            match = self._fill(market, maker, taker, quantums)
            result.matches.append(match)
            book_match(match)
            if maker.is_fully_filled:
                book.remove(maker.order_id)
                result.removed_makers.append((maker, RemovalReason.FULLY_FILLED))
        return result

    def _fill(self, market: MarketParams, maker: Order, taker: Order, quantums: int) -> Match:
        subticks = maker.subticks
        quote = market.quote_quantums(quantums, subticks)
        maker_fee = fee_quote_quantums(quote, self.maker_fee_rate)
        taker_fee = fee_quote_quantums(quote, self.taker_fee_rate)
        maker.filled_quantums += quantums
        taker.filled_quantums += quantums
        return Match(
            maker=maker.snapshot(),
            taker=taker.snapshot(),
            quantums=quantums,
            subticks=subticks,
            maker_fee_quote=maker_fee,
            taker_fee_quote=taker_fee,
        )

    def _markets_by_perpetual(self) -> dict[int, MarketParams]:
        return {m.perpetual_id: m for m in self.markets.values()}
