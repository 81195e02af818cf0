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
        # The last state, time and notes seen: rows scrolled into view are brought up to
        # date with them (off-screen rows' clock-driven cells are not kept current).
        self._source: tuple[AccountState, datetime, Mapping[str, str]] | None = None

    def refresh_orders(
        self,
        state: AccountState,
        now: datetime,
        notes: Mapping[str, str],
        order_ids: Iterable[str] | None = None,
    ) -> None:
        """Bring the rows of `order_ids` (None: every order) up to date."""
        self._source = (state, now, notes)
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

    def refresh_clock(
        self, state: AccountState, now: datetime, notes: Mapping[str, str]
    ) -> None:
        """What the clock and the block height move: ages, countdowns, lingering ends.

        Only the rows on screen are derived again (ages and countdowns off screen are
        brought up to date when they scroll into view, see `watch_scroll_y`), plus the
        final orders whose linger is over; with 10,000 open orders a tick or a block
        costs as much as with 20. Unchanged texts are not written (`upsert`).
        """
        ids = set(self.visible_keys())
        ids.update(
            order_id for order_id, since in self._final_since.items()
            if (now - since).total_seconds() >= LINGER_SECONDS
        )
        self.refresh_orders(state, now, notes, ids)

    def visible_keys(self) -> list[str]:
        """The keys of the rows on screen (the scroll region), top to bottom."""
        if not self.row_count:
            return []
        header = self.header_height if self.show_header else 0
        height = self.scrollable_content_region.height - header
        if height <= 0:
            return []
        top = self.scroll_offset.y
        keys: list[str] = []
        for row_key, _ in self._y_offsets[top:top + height]:
            if row_key.value is not None and (not keys or keys[-1] != row_key.value):
                keys.append(row_key.value)
        return keys

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value) and self._source is not None:
            state, now, notes = self._source
            self.refresh_orders(state, now, notes, self.visible_keys())

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
