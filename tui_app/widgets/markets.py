"""The markets view: oracle price, 24h change and a sparkline of the prices seen."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from decimal import Decimal

from tui_app.models import PerpetualMarket
from tui_app.state import AccountState
from tui_app.widgets.format import Cell, percent, price, signed_price, sparkline
from tui_app.widgets.keyed_table import KeyedTable, text_sort_key

MARKET_COLUMNS = (
    ("market", "Market"),
    ("oracle", "Oracle"),
    ("change_pct", "24h %"),
    ("spark", "Trend"),
    ("change", "24h"),
)
SPARK_POINTS = 10
# Market statuses other than ACTIVE, in a few words (the trader must not miss them).
STATUS_WORDS = {"FINAL_SETTLEMENT": "final", "CANCEL_ONLY": "cancel-only",
                "POST_ONLY": "post-only", "PAUSED": "paused", "INITIALIZING": "init"}


def change_percent(market: PerpetualMarket) -> Decimal | None:
    """24h change as a percentage of the price 24h ago (oracle − change)."""
    oracle, change = market.oracle_price, market.price_change_24h
    if oracle is None or change is None or oracle - change <= 0:
        return None
    return change / (oracle - change) * 100


def market_row(market: PerpetualMarket, history: Iterable[Decimal]) -> tuple[Cell, ...]:
    status = (market.status or "ACTIVE").upper()
    name: Cell = (market.ticker or "?", None)
    if status != "ACTIVE":  # e.g. FINAL_SETTLEMENT, PAUSED: said in words, not hidden
        word = STATUS_WORDS.get(status, status.lower()[:12])
        name = (f"{market.ticker} ({word})", "warn")
    tick = market.tick_size
    return (
        name,
        (price(market.oracle_price, tick), None),
        percent(change_percent(market)),
        (sparkline(history, SPARK_POINTS), None),
        signed_price(market.price_change_24h, tick),
    )


class MarketsTable(KeyedTable):
    def __init__(self, *, id: str | None = "markets-table") -> None:
        super().__init__(MARKET_COLUMNS, sort_by=("market",), sort_key=text_sort_key, id=id)
        self.filter_text = ""
        # Oracle prices seen since start, per market: the sparkline's points.
        self._history: dict[str, deque[Decimal]] = {}

    def refresh_markets(self, state: AccountState, tickers: Iterable[str] | None = None) -> None:
        markets = state.markets
        for ticker in list(markets if tickers is None else tickers):
            market = markets.get(ticker)
            if market is None:
                self.discard(ticker)
                continue
            history = self._history.setdefault(ticker, deque(maxlen=SPARK_POINTS))
            if market.oracle_price is not None and (
                not history or history[-1] != market.oracle_price
            ):
                history.append(market.oracle_price)
            if self.filter_text and self.filter_text.lower() not in ticker.lower():
                self.discard(ticker)
                continue
            self.upsert(ticker, market_row(market, history))
        if tickers is None:
            for key in [k for k in self.keys if k not in markets]:
                self.discard(key)
        self.finish()
