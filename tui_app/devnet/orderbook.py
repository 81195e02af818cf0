"""One market's order book: price levels in price-time priority.

Bids are kept best (highest) first, asks best (lowest) first. Inside a level, orders keep
arrival order (`Order.sequence`). The book holds `Order` objects by reference; the matching
engine changes their filled amounts and tells the book to drop them when they are done.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from tui_app.devnet.types import Order, OrderId, Side


class OrderBook:
    def __init__(self, clob_pair_id: int) -> None:
        self.clob_pair_id = clob_pair_id
        # price (subticks) -> orders in time priority
        self._levels: dict[Side, dict[int, list[Order]]] = {Side.BUY: {}, Side.SELL: {}}
        # Sorted prices per side; bids stored negated so both lists sort best-first.
        self._prices: dict[Side, list[int]] = {Side.BUY: [], Side.SELL: []}
        self._orders: dict[OrderId, Order] = {}

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        return len(self._orders)

    def get(self, order_id: OrderId) -> Order | None:
        return self._orders.get(order_id)

    def orders(self) -> list[Order]:
        return list(self._orders.values())

    def add(self, order: Order) -> None:
        if order.order_id in self._orders:
            raise ValueError(f"order {order.order_id} is already on the book")
        levels = self._levels[order.side]
        level = levels.get(order.subticks)
        if level is None:
            level = levels[order.subticks] = []
            bisect.insort(self._prices[order.side], self._key(order.side, order.subticks))
        level.append(order)
        self._orders[order.order_id] = order

    def remove(self, order_id: OrderId) -> Order | None:
        order = self._orders.pop(order_id, None)
        if order is None:
            return None
        levels = self._levels[order.side]
        level = levels[order.subticks]
        level.remove(order)
        if not level:
            del levels[order.subticks]
            prices = self._prices[order.side]
            del prices[bisect.bisect_left(prices, self._key(order.side, order.subticks))]
        return order

    def best_price(self, side: Side) -> int | None:
        prices = self._prices[side]
        if not prices:
            return None
        return self._unkey(side, prices[0])

    def level_quantums(self, side: Side, subticks: int) -> int:
        return sum(o.remaining_quantums for o in self._levels[side].get(subticks, ()))

    def levels(self, side: Side) -> list[tuple[int, int]]:
        """(subticks, total remaining quantums), best first."""
        result = []
        for key in self._prices[side]:
            subticks = self._unkey(side, key)
            result.append((subticks, self.level_quantums(side, subticks)))
        return result

    def makers_for(self, taker_side: Side, limit_subticks: int) -> Iterator[Order]:
        """Resting orders a taker could match, best price first, oldest first.

        A snapshot: the caller may remove orders while iterating.
        """
        maker_side = taker_side.opposite
        for key in list(self._prices[maker_side]):
            subticks = self._unkey(maker_side, key)
            if not self.crosses(taker_side, limit_subticks, subticks):
                return
            yield from list(self._levels[maker_side].get(subticks, ()))

    @staticmethod
    def crosses(taker_side: Side, taker_subticks: int, maker_subticks: int) -> bool:
        if taker_side is Side.BUY:
            return maker_subticks <= taker_subticks
        return maker_subticks >= taker_subticks

    @staticmethod
    def _key(side: Side, subticks: int) -> int:
        return -subticks if side is Side.BUY else subticks

    @staticmethod
    def _unkey(side: Side, key: int) -> int:
        return -key if side is Side.BUY else key
