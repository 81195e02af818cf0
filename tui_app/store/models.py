"""Domain objects the order store hands out (frozen dataclasses, never database rows).

Numbers that the chain sees are exact: sizes and prices are `Decimal` (stored as strings),
quantums, subticks and ids are `int`. Times are timezone-aware UTC `datetime`s;
`good_til_block_time` is the chain's own unit, unix seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum


class OrderStatus(StrEnum):
    """The app's own view of an order, as recorded in the store.

    - pending: the row is committed, the place tx is being (or may have been) sent.
    - active: the chain accepted the place tx (code 0); the order may rest or fill.
    - cancel_pending: a cancel was sent but is not settled yet (a stateful cancel waits
      for its block; a timed-out cancel waits for reconciliation).
    - best_effort_cancelled: a short-term cancel was accepted; it becomes final only once
      the order's good_til_block has passed, and a fill arriving meanwhile still counts.
    - cancelled, expired, filled, rejected: final.
    - unknown: the store cannot tell (e.g. reconciliation found nothing conclusive).
    """

    PENDING = "pending"
    ACTIVE = "active"
    CANCEL_PENDING = "cancel_pending"
    BEST_EFFORT_CANCELLED = "best_effort_cancelled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FILLED = "filled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.FILLED, OrderStatus.REJECTED}
)
# Orders that may still be (or become) live on the chain.
OPEN_STATUSES = frozenset(set(OrderStatus) - FINAL_STATUSES)


@dataclass(frozen=True)
class OrderRecord:
    """Everything needed to cancel an order later, plus what the trader asked for."""

    order_id: str  # the indexer's uuid5 of the OrderId fields
    owner: str
    subaccount_number: int
    client_id: int
    order_flags: int
    clob_pair_id: int
    order_id_proto: bytes  # serialized dydxprotocol.clob.OrderId
    good_til_block: int | None
    good_til_block_time: int | None  # unix seconds
    symbol: str
    side: str  # "BUY" | "SELL"
    quantity: Decimal
    quantums: int
    price: Decimal
    subticks: int
    order_type: str  # "LIMIT" | "MARKET" | ...
    time_in_force: str  # "GTT" | "IOC" | "POST_ONLY"
    reduce_only: bool
    post_only: bool
    placed_at: datetime
    status: OrderStatus = OrderStatus.PENDING
    client_metadata: int = 0
    cancelled_at: datetime | None = None
    tx_hash: str | None = None
    cancel_tx_hash: str | None = None
    last_error: str | None = None
    updated_at: datetime | None = None

    @property
    def is_short_term(self) -> bool:
        return self.order_flags == 0


class AuditAction(StrEnum):
    PLACE = "place"
    CANCEL = "cancel"
    BATCH_CANCEL = "batch_cancel"
    RECONCILE = "reconcile"
    EXPIRE = "expire"


class AuditOutcome(StrEnum):
    ATTEMPT = "attempt"  # written before the request leaves
    ACCEPTED = "accepted"  # the chain answered code 0
    ALREADY_DONE = "already_done"  # a benign answer: the goal was already reached
    REJECTED = "rejected"  # the chain answered a non-zero code
    REFUSED = "refused"  # refused locally, nothing sent
    UNKNOWN = "unknown"  # timeout / connection lost: may or may not have landed
    ERROR = "error"  # anything else that went wrong


@dataclass(frozen=True)
class AuditEntry:
    order_id: str
    action: AuditAction
    outcome: AuditOutcome
    code: int | None = None
    detail: str = ""
    tx_hash: str | None = None
    at: datetime | None = None  # filled in by the store when None
    id: int | None = None  # the store's sequence number


def utc_now() -> datetime:
    return datetime.now(UTC)
