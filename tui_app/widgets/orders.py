"""The open orders table: live orders, plus final ones for a short while so the trader
sees how an order ended ("cancelled", "filled") before it leaves the list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tui_app.state import AccountState, TrackedOrder
from tui_app.widgets.format import ORDER_COLUMNS, OrderContext, order_row
from tui_app.widgets.keyed_table import KeyedTable, text_sort_key

# How long a final order stays in the open orders table (then: order history only).
LINGER_SECONDS = 30.0


def matches(order: TrackedOrder, text: str) -> bool:
    """The `/` filter: every word must appear in market, side, status, type or TIF."""
    data = order.data
    haystack = " ".join(
        str(v) for v in (data.ticker, data.side, order.status.value, data.type,
                         data.time_in_force, data.id) if v
    ).lower()
    return all(word in haystack for word in text.lower().split())


class OrdersTable(KeyedTable):
    def __init__(self, *, id: str | None = "orders-table") -> None:
        super().__init__(ORDER_COLUMNS, sort_by=("market", "side"), sort_key=text_sort_key,
                         id=id)
        self.filter_text = ""
        self._final_since: dict[str, datetime] = {}
        # When each order was first seen (the injected clock's time): its age when the
        # indexer says nothing about when it was made.
        self._first_seen: dict[str, datetime] = {}

    def refresh_orders(
        self,
        state: AccountState,
        now: datetime,
        notes: Mapping[str, str],
        order_ids: Iterable[str] | None = None,
    ) -> None:
        """Bring the rows of `order_ids` (None: every order) up to date."""
        ids = state.orders.keys() if order_ids is None else order_ids
        height = state.block_height
        for order_id in list(ids):
            order = state.order(order_id)
            if order is None:
                self.discard(order_id)
                continue
            first_seen = self._first_seen.setdefault(order_id, now)
            if not self._visible(order, now):
                self.discard(order_id)
                continue
            market = state.markets.get(order.ticker or "")
            tick = market.tick_size if market is not None else None
            ctx = OrderContext(now, height, notes.get(order_id), tick, first_seen)
            self.upsert(order_id, order_row(order, ctx))
        if order_ids is None:  # a full refresh also drops rows the state forgot
            for key in [k for k in self.keys if k not in state.orders]:
                self.discard(key)
            for key in [k for k in self._first_seen if k not in state.orders]:
                del self._first_seen[key]
        self.finish()

    def _visible(self, order: TrackedOrder, now: datetime) -> bool:
        if self.filter_text and not matches(order, self.filter_text):
            return False
        if not order.status.is_final:
            self._final_since.pop(order.id, None)
            return True
        if order.id not in self and order.id not in self._final_since:
            return False  # final before it was ever shown here: history only
        since = self._final_since.setdefault(order.id, now)
        if (now - since).total_seconds() < LINGER_SECONDS:
            return True
        del self._final_since[order.id]
        return False
