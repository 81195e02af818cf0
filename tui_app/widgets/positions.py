"""The positions table: size, entry, oracle, PnL, funding and a liquidation estimate."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from tui_app.state import AccountState
from tui_app.widgets.format import POSITION_COLUMNS, liquidation_price, position_row
from tui_app.widgets.keyed_table import KeyedTable, text_sort_key


def maintenance_by_market(state: AccountState) -> dict[str, Decimal]:
    """Maintenance margin each position needs at the oracle price (unknown: left out)."""
    result: dict[str, Decimal] = {}
    for market, position in state.positions.items():
        info = state.markets.get(market)
        if info is None or info.oracle_price is None or info.maintenance_margin_fraction is None:
            continue
        result[market] = abs(position.signed_size) * info.oracle_price * (
            info.maintenance_margin_fraction
        )
    return result


def account_equity(state: AccountState) -> Decimal | None:
    """Equity now: balance plus positions at the oracle price, else the last snapshot's."""
    estimated = state.estimated_equity()
    return estimated if estimated is not None else state.equity


class PositionsTable(KeyedTable):
    def __init__(self, *, id: str | None = "positions-table") -> None:
        super().__init__(POSITION_COLUMNS, sort_by=("market",), sort_key=text_sort_key, id=id)
        self.filter_text = ""

    def refresh_positions(self, state: AccountState, markets: Iterable[str] | None = None) -> None:
        # Every liquidation estimate depends on the whole account, so any change to one
        # position may move all of them: recompute all rows (few), update changed cells.
        del markets
        equity = account_equity(state)
        maintenance = maintenance_by_market(state)
        total = sum(maintenance.values(), Decimal(0))
        rows = {}
        for market in state.positions:
            view = state.position_view(market)
            if view is None:
                continue
            if self.filter_text and self.filter_text.lower() not in market.lower():
                continue
            info = state.markets.get(market)
            mmf = info.maintenance_margin_fraction if info is not None else None
            liq = liquidation_price(view, equity, mmf, total - maintenance.get(market, 0))
            tick = info.tick_size if info is not None else None
            rows[market] = position_row(view, liq, tick)
        self.sync(rows)
