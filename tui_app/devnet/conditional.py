"""Untriggered conditional orders (order_flags 32), as x/clob keeps them.

A conditional order placed in a block is stored but does not rest on the book. At the end
of every block the chain compares each one's trigger price with the oracle price: take-profit
buys and stop-loss sells trigger when the oracle is at or below the trigger, stop-loss buys
and take-profit sells when it is at or above (`Order.CanTrigger`). The real chain keeps the
two directions in separate lists per clob pair (`UntriggeredConditionalOrders`); so do we,
so a block with no conditional orders costs one empty-dict check. Besides the oracle, the
block's lowest and highest trade prices of the market may trigger orders, each clamped to
within a few minimum price changes of the oracle (`trigger_prices`).
"""

from __future__ import annotations

from decimal import Decimal

from tui_app.devnet.types import Order, OrderId, Side

# x/clob's ConditionalOrderTriggerMultiplier: a block's trade prices count for triggering
# only within oracle ± min_price_change_ppm × this.
TRIGGER_MULTIPLIER = 5

# Proto Order.ConditionType.
STOP_LOSS = 1
TAKE_PROFIT = 2
CONDITION_TYPES = frozenset({STOP_LOSS, TAKE_PROFIT})


def triggers_at_or_below(order: Order) -> bool:
    """True if the order triggers when the oracle falls to its trigger price."""
    return (order.condition_type == TAKE_PROFIT) == (order.side is Side.BUY)


def trigger_prices(
    oracle_subticks: Decimal, trades: tuple[int, int] | None, min_price_change_ppm: int
) -> list[Decimal]:
    """The prices a block's untriggered orders are polled with, in the chain's order: the
    oracle, then the clamped lowest and highest trade prices of the block, if it traded."""
    if trades is None:
        return [oracle_subticks]
    allowed = oracle_subticks * min_price_change_ppm * TRIGGER_MULTIPLIER / 1_000_000
    low, high = oracle_subticks - allowed, oracle_subticks + allowed
    return [oracle_subticks] + [min(max(Decimal(t), low), high) for t in trades]


def can_trigger(order: Order, oracle_subticks: Decimal) -> bool:
    trigger = order.conditional_order_trigger_subticks
    if triggers_at_or_below(order):
        return trigger >= oracle_subticks
    return trigger <= oracle_subticks


class UntriggeredOrders:
    """Conditional orders waiting for their trigger, by clob pair."""

    def __init__(self) -> None:
        self._by_clob_pair: dict[int, dict[OrderId, Order]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_clob_pair)

    def __contains__(self, order_id: object) -> bool:
        if not isinstance(order_id, OrderId):
            return False
        return order_id in self._by_clob_pair.get(order_id.clob_pair_id, {})

    def orders(self) -> list[Order]:
        return [o for orders in self._by_clob_pair.values() for o in orders.values()]

    def add(self, order: Order) -> None:
        self._by_clob_pair.setdefault(order.order_id.clob_pair_id, {})[order.order_id] = order

    def remove(self, order_id: OrderId) -> Order | None:
        orders = self._by_clob_pair.get(order_id.clob_pair_id)
        if orders is None:
            return None
        order = orders.pop(order_id, None)
        if not orders:
            del self._by_clob_pair[order_id.clob_pair_id]
        return order

    def clob_pair_ids(self) -> list[int]:
        return list(self._by_clob_pair)

    def poll(self, clob_pair_id: int, oracle_subticks: Decimal) -> list[Order]:
        """Take out (in placement order) the orders of a clob pair that trigger now."""
        orders = self._by_clob_pair.get(clob_pair_id, {})
        triggered = [o for o in orders.values() if can_trigger(o, oracle_subticks)]
        for order in triggered:
            self.remove(order.order_id)
        return triggered

    def expired(self, block_time_unix: int) -> list[Order]:
        return [o for o in self.orders() if o.good_til_block_time <= block_time_unix]
