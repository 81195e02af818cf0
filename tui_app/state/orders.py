"""Orders as the app shows them: the indexer's fields merged by id, plus the app's status.

The indexer's status alone is not what a trader needs: an order the app sent but the
indexer has not reported yet is PENDING; an OPEN order with some fills is PARTIALLY_FILLED;
a short-term order whose good-til-block has passed is over even if no message said so.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tui_app.ids import order_uuid, subaccount_uuid
from tui_app.models import IndexerOrder
from tui_app.state.changes import OrderChanged

SHORT_TERM_FLAGS = 0
EXPIRY_REASONS = frozenset({"ORDER_REMOVAL_REASON_EXPIRED", "ORDER_REMOVAL_REASON_INDEXER_EXPIRED"})


class OrderStatus(StrEnum):
    PENDING = "PENDING"  # sent by this app, not yet reported by the indexer
    OPEN = "OPEN"  # also BEST_EFFORT_OPENED (see TrackedOrder.best_effort)
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    UNTRIGGERED = "UNTRIGGERED"  # conditional order waiting for its trigger
    BEST_EFFORT_CANCELED = "BEST_EFFORT_CANCELED"  # not final: may still fill until its GTB
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"  # refused by the chain; see TrackedOrder.reject_reason
    UNKNOWN = "UNKNOWN"  # a status this version does not know; see indexer_status

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def is_live(self) -> bool:
        """Could still trade: what "open orders" lists and cancel-all targets."""
        return self in _LIVE


_FINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED}
)
_LIVE = frozenset(
    {
        OrderStatus.PENDING,
        OrderStatus.OPEN,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.UNTRIGGERED,
        OrderStatus.BEST_EFFORT_CANCELED,
    }
)
FINAL_STATUSES = _FINAL
"""For the feed's hot path: `status in FINAL_STATUSES` skips the `is_final` property call."""


class TrackedOrder:
    """One order in the account state. Read it, do not change it: the state owns it."""

    __slots__ = ("data", "status", "seen", "reject_reason", "expiry_scheduled", "change")

    def __init__(self, data: IndexerOrder, *, seen: bool) -> None:
        self.data = data  # every field the indexer (or the controller) has told us
        self.status = OrderStatus.PENDING
        self.seen = seen  # the indexer has reported this order at least once
        self.reject_reason: str | None = None
        self.expiry_scheduled: int | None = None  # the GTB already queued for expiry
        # Its change record, built once: an order's updates are the feed's hot path.
        self.change = OrderChanged(data.id)

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def ticker(self) -> str | None:
        return self.data.ticker

    @property
    def indexer_status(self) -> str | None:
        return self.data.status

    @property
    def status_unknown(self) -> bool:
        return self.status is OrderStatus.UNKNOWN

    @property
    def best_effort(self) -> bool:
        """Known only to the indexer's own node so far (BEST_EFFORT_OPENED)."""
        return self.data.status == "BEST_EFFORT_OPENED"

    @property
    def remaining(self) -> Decimal | None:
        size = self.data.size
        if size is None:
            return None
        return max(size - (self.data.total_filled or Decimal(0)), Decimal(0))

    def __repr__(self) -> str:
        return f"TrackedOrder({self.data.id!r}, {self.status.value}, {self.data.ticker!r})"


def merged(stored: IndexerOrder, update: IndexerOrder) -> IndexerOrder:
    """The stored order with every field the update carries (updates may be partial)."""
    fields = update.__pydantic_fields_set__  # model_fields_set without the property call
    if fields >= stored.__pydantic_fields_set__:
        return update  # the usual case: a full update replaces, no copy needed
    values = update.__dict__
    return stored.model_copy(update={name: values[name] for name in fields})


def short_term_expired(order: IndexerOrder, height: int | None) -> bool:
    gtb = order.good_til_block
    return (
        height is not None
        and gtb is not None
        and order.order_flags == SHORT_TERM_FLAGS
        and gtb < height
    )


# The members as plain globals for derive_status, which runs on every order update:
# reading OrderStatus.X goes through the enum's metaclass, about 5x slower than a global.
_PENDING = OrderStatus.PENDING
_OPEN = OrderStatus.OPEN
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
_UNTRIGGERED = OrderStatus.UNTRIGGERED
_BEST_EFFORT_CANCELED = OrderStatus.BEST_EFFORT_CANCELED
_FILLED = OrderStatus.FILLED
_CANCELED = OrderStatus.CANCELED
_EXPIRED = OrderStatus.EXPIRED
_REJECTED = OrderStatus.REJECTED
_UNKNOWN = OrderStatus.UNKNOWN


def derive_status(tracked: TrackedOrder, height: int | None) -> OrderStatus:
    """The app's status from what the indexer said and the current block height."""
    order = tracked.data
    # Fields from __dict__: a pydantic model's `order.field` takes CPython's slow
    # attribute path (it defines __getattr__), and this runs for every order update.
    fields = order.__dict__
    if not tracked.seen:
        if tracked.reject_reason is not None:
            return _REJECTED
        return _EXPIRED if short_term_expired(order, height) else _PENDING
    raw = fields["status"]
    if raw == "OPEN" or raw == "BEST_EFFORT_OPENED":
        if fields["good_til_block"] is not None and short_term_expired(order, height):
            return _EXPIRED
        filled = fields["total_filled"]
        size = fields["size"]
        if filled and size is not None and filled < size:
            return _PARTIALLY_FILLED
        return _OPEN
    if raw == "FILLED":
        return _FILLED
    if raw == "CANCELED":
        return _EXPIRED if fields["removal_reason"] in EXPIRY_REASONS else _CANCELED
    if raw == "BEST_EFFORT_CANCELED":
        # Final once its good-til-block has passed: no block can fill it any more.
        return _CANCELED if short_term_expired(order, height) else _BEST_EFFORT_CANCELED
    if raw == "UNTRIGGERED":
        return _UNTRIGGERED
    return _UNKNOWN


def pending_order(
    address: str,
    subaccount_number: int,
    client_id: int,
    clob_pair_id: int,
    order_flags: int,
    *,
    ticker: str,
    side: str,
    size: Decimal,
    price: Decimal,
    good_til_block: int | None = None,
    good_til_block_time: datetime | None = None,
    time_in_force: str = "GTT",
    post_only: bool = False,
    reduce_only: bool = False,
    order_type: str = "LIMIT",
    trigger_price: Decimal | None = None,
) -> IndexerOrder:
    """The order the controller is about to send, in the indexer's shape and with the id
    the indexer will give it, for `AccountState.add_pending`."""
    return IndexerOrder(
        id=order_uuid(address, subaccount_number, client_id, clob_pair_id, order_flags),
        subaccount_id=subaccount_uuid(address, subaccount_number),
        client_id=client_id,
        clob_pair_id=clob_pair_id,
        order_flags=order_flags,
        ticker=ticker,
        side=side,
        size=size,
        price=price,
        total_filled=Decimal(0),
        good_til_block=good_til_block,
        good_til_block_time=good_til_block_time,
        time_in_force=time_in_force,
        post_only=post_only,
        reduce_only=reduce_only,
        type=order_type,
        trigger_price=trigger_price,
        subaccount_number=subaccount_number,
    )
