"""The filters of REST `/v4/orders`, shared with the v4_subaccounts snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tui_app.devnet.params import FLAG_SHORT_TERM

from .orders import STATUSES, OrderRecord
from .params import MAX_LIMIT, Params
from .render import order_type, side_name

ORDER_TYPES = (
    "LIMIT",
    "MARKET",
    "STOP_LIMIT",
    "STOP_MARKET",
    "TRAILING_STOP",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TWAP",
    "TWAP_SUBORDER",
)


@dataclass
class OrderQuery:
    statuses: list[str] | None = None
    ticker: str | None = None
    side: str | None = None
    type: str | None = None
    include_types: list[str] | None = None
    exclude_types: list[str] | None = None
    good_til_block_before_or_at: int | None = None
    good_til_block_after: int | None = None
    good_til_block_time_before_or_at: datetime | None = None
    good_til_block_time_after: datetime | None = None
    return_latest_orders: bool = False
    limit: int = MAX_LIMIT

    @classmethod
    def parse(cls, params: Params) -> OrderQuery:
        big = 2**32
        return cls(
            statuses=params.choices("status", STATUSES),
            ticker=params.query.get("ticker"),
            side=params.choice("side", ("BUY", "SELL")),
            type=params.choice("type", ORDER_TYPES),
            include_types=params.choices("includeTypes", ORDER_TYPES),
            exclude_types=params.choices("excludeTypes", ORDER_TYPES),
            good_til_block_before_or_at=params.integer("goodTilBlockBeforeOrAt", 0, big),
            good_til_block_after=params.integer("goodTilBlockAfter", 0, big),
            good_til_block_time_before_or_at=params.timestamp("goodTilBlockTimeBeforeOrAt"),
            good_til_block_time_after=params.timestamp("goodTilBlockTimeAfter"),
            return_latest_orders=bool(params.boolean("returnLatestOrders")),
            limit=params.limit(),
        )

    def matches(self, record: OrderRecord) -> bool:
        order = record.order
        kind = order_type(order)
        short = order.order_id.order_flags == FLAG_SHORT_TERM
        gtb = order.good_til_block if short else None
        gtbt = None if short else datetime.fromtimestamp(order.good_til_block_time, tz=UTC)
        checks = (
            self.statuses is None or record.status in self.statuses,
            self.ticker is None or record.market.ticker == self.ticker,
            self.side is None or side_name(order.side) == self.side,
            self.type is None or kind == self.type,
            self.include_types is None or kind in self.include_types,
            self.exclude_types is None or kind not in self.exclude_types,
            self.good_til_block_before_or_at is None
            or (gtb is not None and gtb <= self.good_til_block_before_or_at),
            self.good_til_block_after is None
            or (gtb is not None and gtb > self.good_til_block_after),
            self.good_til_block_time_before_or_at is None
            or (gtbt is not None and gtbt <= self.good_til_block_time_before_or_at),
            self.good_til_block_time_after is None
            or (gtbt is not None and gtbt > self.good_til_block_time_after),
        )
        return all(checks)

    def apply(self, records: list[OrderRecord]) -> list[OrderRecord]:
        chosen = [r for r in records if self.matches(r)]
        if self.return_latest_orders:
            chosen.sort(key=lambda r: r.updated_height or 0, reverse=True)
        else:
            # comlink sorts by goodTilBlock DESC then goodTilBlockTime DESC; Postgres puts
            # NULLs first in DESC order, so stateful orders (no goodTilBlock) come first.
            chosen.sort(key=_expiry_key, reverse=True)
        return chosen[: self.limit]


def _expiry_key(record: OrderRecord) -> tuple[int, int]:
    order = record.order
    if order.order_id.order_flags == FLAG_SHORT_TERM:
        return (0, order.good_til_block)
    return (1, order.good_til_block_time)
