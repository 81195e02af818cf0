"""Plain domain objects of the devnet chain: order ids, orders, fills, positions.

Units are the chain's: sizes in base quantums, prices in subticks, USDC in quote quantums
(1e-6 USDC). Conversions to human numbers live in `markets.MarketParams`.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass, field
from datetime import datetime

from tui_app.devnet.params import FLAG_SHORT_TERM


class Side(enum.IntEnum):
    """Proto `Order.Side`."""

    BUY = 1
    SELL = 2

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class TimeInForce(enum.IntEnum):
    """Proto `Order.TimeInForce`; UNSPECIFIED means good-til-time (GTT)."""

    UNSPECIFIED = 0
    IOC = 1
    POST_ONLY = 2
    FILL_OR_KILL = 3


class RemovalReason(enum.Enum):
    """Proto `OrderRemovalReason`, as the indexer prints it (`ORDER_REMOVAL_REASON_...`)."""

    USER_CANCELED = "ORDER_REMOVAL_REASON_USER_CANCELED"
    EXPIRED = "ORDER_REMOVAL_REASON_EXPIRED"
    UNDERCOLLATERALIZED = "ORDER_REMOVAL_REASON_UNDERCOLLATERALIZED"
    SELF_TRADE_ERROR = "ORDER_REMOVAL_REASON_SELF_TRADE_ERROR"
    POST_ONLY_WOULD_CROSS_MAKER_ORDER = "ORDER_REMOVAL_REASON_POST_ONLY_WOULD_CROSS_MAKER_ORDER"
    IMMEDIATE_OR_CANCEL_WOULD_REST_ON_BOOK = (
        "ORDER_REMOVAL_REASON_IMMEDIATE_OR_CANCEL_WOULD_REST_ON_BOOK"
    )
    REDUCE_ONLY_RESIZE = "ORDER_REMOVAL_REASON_REDUCE_ONLY_RESIZE"
    REPLACED = "ORDER_REMOVAL_REASON_REPLACED"
    FULLY_FILLED = "ORDER_REMOVAL_REASON_FULLY_FILLED"


@dataclass(frozen=True, order=True)
class SubaccountId:
    owner: str
    number: int = 0


@dataclass(frozen=True, order=True)
class OrderId:
    """The chain's OrderId: what a cancel must repeat exactly."""

    subaccount: SubaccountId
    client_id: int
    order_flags: int
    clob_pair_id: int

    @property
    def is_short_term(self) -> bool:
        return self.order_flags == FLAG_SHORT_TERM


@dataclass
class Order:
    """An order as the chain holds it, plus the bookkeeping the indexer reports."""

    order_id: OrderId
    side: Side
    quantums: int
    subticks: int
    good_til_block: int = 0  # short-term orders
    good_til_block_time: int = 0  # stateful orders (unix seconds)
    time_in_force: TimeInForce = TimeInForce.UNSPECIFIED
    reduce_only: bool = False
    client_metadata: int = 0
    condition_type: int = 0
    conditional_order_trigger_subticks: int = 0
    filled_quantums: int = 0
    # Bookkeeping (not part of the chain's Order message).
    placed_height: int = 0
    placed_at: datetime | None = None
    updated_height: int = 0
    updated_at: datetime | None = None
    tx_hash: str = ""
    # Monotonic arrival counter for time priority inside a price level.
    sequence: int = 0

    @property
    def remaining_quantums(self) -> int:
        return self.quantums - self.filled_quantums

    @property
    def is_fully_filled(self) -> bool:
        return self.filled_quantums >= self.quantums

    @property
    def post_only(self) -> bool:
        return self.time_in_force is TimeInForce.POST_ONLY

    @property
    def is_immediate(self) -> bool:
        return self.time_in_force in (TimeInForce.IOC, TimeInForce.FILL_OR_KILL)

    def snapshot(self) -> Order:
        """A copy that later matching cannot change (for events). A shallow copy, as
        dataclasses.replace makes, without re-running __init__ (a cancel takes two)."""
        return copy.copy(self)


@dataclass(frozen=True)
class Fill:
    """One side of a match: the maker and the taker each get one."""

    event_id: bytes  # 12 bytes: block height u32 BE, tx index + 2 u32, event index u32
    subaccount: SubaccountId
    order_id: OrderId | None
    clob_pair_id: int
    side: Side
    is_taker: bool
    quantums: int
    subticks: int
    quote_quantums: int
    fee_quote_quantums: int  # positive: paid; negative: rebate
    height: int
    time: datetime
    tx_hash: str
    client_metadata: int = 0


@dataclass
class PerpetualPosition:
    """A subaccount's position in one market, with the indexer's running aggregates."""

    perpetual_id: int
    quantums: int = 0  # signed: negative is short
    # Aggregates of the current position (reset when it closes), in quote quantums and quantums.
    entry_quote: int = 0  # |cost basis| of the open size, quote quantums
    sum_open_quantums: int = 0
    sum_close_quantums: int = 0
    max_quantums: int = 0
    realized_pnl_quote: int = 0
    open_event_id: bytes = b""
    opened_height: int = 0
    opened_at: datetime | None = None
    closed_height: int = 0
    closed_at: datetime | None = None
    exit_quote_sum: int = 0  # quote quantums received/paid on closing trades


@dataclass
class Subaccount:
    id: SubaccountId
    usdc_quantums: int = 0
    positions: dict[int, PerpetualPosition] = field(default_factory=dict)
    updated_height: int = 0
