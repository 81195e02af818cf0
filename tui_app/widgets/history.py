"""Order history: every order this session knows, any status, 50 per page, filtered by
status, market and date range.

Filter syntax (the `/` key): `status:filled,canceled market:ETH-USD from:2024-08-01
to:2024-08-02` plus free words. Dates are UTC days, `to` inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_app.state import AccountState, TrackedOrder
from tui_app.widgets.format import DASH, ORDER_COLUMNS, Cell, OrderContext, order_row
from tui_app.widgets.keyed_table import KeyedTable, text_sort_key
from tui_app.widgets.orders import matches

PAGE_SIZE = 50
# The open orders' columns with the update time first and without the age.
HISTORY_COLUMNS = (("updated", "Updated (UTC)"), *(c for c in ORDER_COLUMNS if c[0] != "age"))


@dataclass(frozen=True)
class HistoryFilter:
    statuses: frozenset[str] = frozenset()
    markets: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    words: str = ""
    problems: tuple[str, ...] = field(default=())

    def accepts(self, order: TrackedOrder) -> bool:
        data = order.data
        if self.statuses and order.status.value.lower() not in self.statuses:
            return False
        if self.markets and (data.ticker or "").upper() not in self.markets:
            return False
        if self.since or self.until:
            when = data.updated_at
            if when is None:
                return False
            if self.since and when < self.since:
                return False
            if self.until and when >= self.until:
                return False
        return not self.words or matches(order, self.words)

    def describe(self) -> str:
        parts = []
        if self.statuses:
            parts.append("status " + ",".join(sorted(self.statuses)))
        if self.markets:
            parts.append("market " + ",".join(sorted(self.markets)))
        if self.since:
            parts.append(f"from {self.since:%Y-%m-%d}")
        if self.until:
            parts.append(f"to {(self.until - timedelta(days=1)):%Y-%m-%d}")
        if self.words:
            parts.append(repr(self.words))
        return "; ".join(parts) or "none"


def _day(text: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        return None


def parse_history_filter(text: str) -> HistoryFilter:
    statuses: set[str] = set()
    markets: set[str] = set()
    since = until = None
    words: list[str] = []
    problems: list[str] = []
    for token in text.split():
        name, sep, value = token.partition(":")
        name = name.lower()
        if not sep:
            words.append(token)
        elif name == "status":
            statuses |= {v.lower().replace("-", "_") for v in value.split(",") if v}
        elif name == "market":
            markets |= {v.upper() for v in value.split(",") if v}
        elif name in ("from", "to"):
            day = _day(value)
            if day is None:
                problems.append(f"{name}: expected a date like 2024-08-01")
            elif name == "from":
                since = day
            else:
                until = day + timedelta(days=1)
        else:
            problems.append(f"unknown filter {name!r} (status, market, from, to)")
    return HistoryFilter(frozenset(statuses), frozenset(markets), since, until,
                         " ".join(words), tuple(problems))


def history_row(order: TrackedOrder, ctx: OrderContext) -> tuple[Cell, ...]:
    updated = order.data.updated_at
    when = updated.strftime("%m-%d %H:%M:%S") if updated else DASH
    cells = order_row(order, ctx)
    age = [key for key, _ in ORDER_COLUMNS].index("age")
    return ((when, "dim"), *cells[:age], *cells[age + 1:])


class HistoryTable(KeyedTable):
    def __init__(self) -> None:
        super().__init__(HISTORY_COLUMNS, sort_by=("updated",), sort_key=text_sort_key,
                         reverse=True, id="history-table")


class HistoryView(Vertical):
    """The history table with its page and filter line."""

    def __init__(self) -> None:
        super().__init__(id="history-view")
        self.filter = HistoryFilter()
        self.page = 0
        self.pages = 1
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="history-info", classes="pane-info", markup=False)
        yield HistoryTable()

    @property
    def table(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    def set_filter(self, text: str) -> HistoryFilter:
        self.filter = parse_history_filter(text)
        self.page = 0
        return self.filter

    def turn_page(self, delta: int) -> None:
        self.page = max(0, min(self.page + delta, self.pages - 1))

    def refresh_history(self, state: AccountState, now: datetime) -> None:
        orders = [o for o in state.orders.values() if self.filter.accepts(o)]
        # Newest first; orders without a time (pending) first of all.
        far_future = datetime.max.replace(tzinfo=UTC)
        orders.sort(key=lambda o: o.data.updated_at or far_future, reverse=True)
        self.total = len(orders)
        self.pages = max(1, -(-self.total // PAGE_SIZE))
        self.page = min(self.page, self.pages - 1)
        start = self.page * PAGE_SIZE
        height = state.block_height
        markets = state.markets
        rows = {}
        for o in orders[start:start + PAGE_SIZE]:
            market = markets.get(o.ticker or "")
            tick = market.tick_size if market is not None else None
            rows[o.id] = history_row(o, OrderContext(now, height, None, tick))
        self.table.sync(rows)
        problems = f"  ⚠ {'; '.join(self.filter.problems)}" if self.filter.problems else ""
        self.query_one("#history-info", Static).update(
            f"Page {self.page + 1}/{self.pages} · {self.total} orders · "
            f"filter: {self.filter.describe()}  ([ ] pages, / filter){problems}"
        )
