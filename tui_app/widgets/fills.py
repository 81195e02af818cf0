"""The fills table: the most recent fills, newest first."""

from __future__ import annotations

from tui_app.models import Fill
from tui_app.state import AccountState
from tui_app.widgets.format import DASH, Cell, number, price, short_id, side_cell
from tui_app.widgets.keyed_table import KeyedTable, text_sort_key

FILL_COLUMNS = (
    ("time", "Time (UTC)"),
    ("market", "Market"),
    ("side", "Side"),
    ("size", "Size"),
    ("price", "Price"),
    ("fee", "Fee"),
    ("liquidity", "Liq."),
    ("order", "Order"),
)
MAX_ROWS = 500


def fill_row(fill: Fill) -> tuple[Cell, ...]:
    when = fill.created_at.strftime("%m-%d %H:%M:%S") if fill.created_at else DASH
    return (
        (when, "dim"),
        (fill.ticker or "?", None),
        side_cell(fill.side),
        (number(fill.size), None),
        (price(fill.price), None),
        (number(fill.fee) if fill.fee is not None else DASH, "dim"),
        (fill.liquidity.lower(), None),
        (short_id(fill.order_id), "dim"),
    )


class FillsTable(KeyedTable):
    def __init__(self, *, id: str | None = "fills-table") -> None:
        super().__init__(FILL_COLUMNS, sort_by=("time",), sort_key=text_sort_key,
                         reverse=True, id=id)
        self.filter_text = ""

    def refresh_fills(self, state: AccountState) -> None:
        fills = state.fills()[-MAX_ROWS:]
        words = self.filter_text.lower().split()
        rows = {}
        for fill in fills:
            cells = fill_row(fill)
            if words:
                text = " ".join(c[0] for c in cells).lower()
                if not all(w in text for w in words):
                    continue
            rows[fill.id] = cells
        self.sync(rows)
