"""The indexer's view of one order: status, history, and the shapes it is sent in.

The real indexer has two producers of order messages, and their shapes differ (see the
captures in tests/fixtures/indexer_samples): the off-chain order stream ("vulcan": short
orders placed or cancelled best-effort, no heights) and the block processor ("ender":
stateful placements, fills, committed removals, with heights and update times). REST adds
`subaccountNumber` and `totalFilled`.

Conditional orders: ender announces the placement (UNTRIGGERED) from its database row, so
the message carries `totalFilled` and `triggerPrice`; the trigger is sent on through vulcan
as an order placement with status OPEN (vulcan's generateSubaccountMessageContents: the
best-effort shape plus the row's heights and `triggerPrice`). Neither the messages nor REST
carry the proto's condition type or trigger subticks: `type` (STOP_LIMIT, TAKE_PROFIT) and
`triggerPrice` say them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui_app.devnet.markets import MarketParams
from tui_app.devnet.types import Order

from . import ids
from .render import dec, good_til_both, iso, order_base, total_filled, trigger_price

OPEN = "OPEN"
FILLED = "FILLED"
CANCELED = "CANCELED"
BEST_EFFORT_CANCELED = "BEST_EFFORT_CANCELED"
BEST_EFFORT_OPENED = "BEST_EFFORT_OPENED"
UNTRIGGERED = "UNTRIGGERED"
STATUSES = frozenset(
    {OPEN, FILLED, CANCELED, BEST_EFFORT_CANCELED, BEST_EFFORT_OPENED, UNTRIGGERED}
)


@dataclass
class OrderRecord:
    order: Order  # the latest snapshot from the chain
    market: MarketParams
    status: str
    # True once the block processor has seen the order (a stateful placement or a fill):
    # only then does the real indexer have a row with heights for it.
    on_chain: bool = False
    removal_reason: str | None = None
    optimistic_filled: int = 0
    created_height: int | None = None
    updated_height: int | None = None
    updated_at: datetime | None = None

    @property
    def id(self) -> str:
        return ids.order_uuid_of(self.order.order_id)

    # ---- shapes ------------------------------------------------------------------------

    def best_effort_message(self) -> dict:
        """Off-chain stream: BEST_EFFORT_OPENED, or BEST_EFFORT_CANCELED with its reason."""
        body = order_base(self.order, self.market, self.status)
        if self.status == BEST_EFFORT_CANCELED:
            body["removalReason"] = self.removal_reason
            body["totalOptimisticFilled"] = dec(
                self.market.quantums_to_size(self.optimistic_filled)
            )
        return body

    def placed_message(self) -> dict:
        """Block processor: a stateful order placed (OPEN or UNTRIGGERED)."""
        body = order_base(self.order, self.market, self.status) | self._heights()
        if self.order.condition_type:
            body["totalFilled"] = total_filled(self.order, self.market)
            body["triggerPrice"] = trigger_price(self.order, self.market)
        return body

    def triggered_message(self) -> dict:
        """Off-chain stream: a conditional order triggered (status OPEN, with its heights)."""
        body = order_base(self.order, self.market, self.status) | self._heights()
        body["triggerPrice"] = trigger_price(self.order, self.market)
        return body

    def fill_message(self) -> dict:
        """Block processor: an order whose filled amount changed (OPEN or FILLED)."""
        body = order_base(self.order, self.market, self.status)
        body |= good_til_both(self.order)
        body["totalFilled"] = total_filled(self.order, self.market)
        body["triggerPrice"] = trigger_price(self.order, self.market)
        return body | self._heights()

    def removed_message(self) -> dict:
        """Block processor: a committed removal (CANCELED with a reason)."""
        if not self.on_chain:
            # No row in the indexer's database: the update carries only the order's ids.
            oid = self.order.order_id
            return {
                "id": self.id,
                "subaccountId": ids.subaccount_uuid_of(oid.subaccount),
                "clientId": str(oid.client_id),
                "clobPairId": str(oid.clob_pair_id),
                "status": self.status,
                "orderFlags": str(oid.order_flags),
                "ticker": self.market.ticker,
                "removalReason": self.removal_reason,
            }
        body = order_base(self.order, self.market, self.status) | self._heights()
        body["totalFilled"] = total_filled(self.order, self.market)
        if self.order.condition_type:
            body["triggerPrice"] = trigger_price(self.order, self.market)
        body["removalReason"] = self.removal_reason
        return body

    def rest_object(self) -> dict:
        """REST OrderResponseObject (also the `orders` of a v4_subaccounts snapshot)."""
        body = order_base(self.order, self.market, self.status)
        body["totalFilled"] = total_filled(self.order, self.market)
        if self.order.condition_type:
            body["triggerPrice"] = trigger_price(self.order, self.market)
        body |= self._heights()
        body["subaccountNumber"] = self.order.order_id.subaccount.number
        return body

    def _heights(self) -> dict:
        body: dict = {}
        if self.created_height is not None:
            body["createdAtHeight"] = str(self.created_height)
        if self.updated_at is not None:
            body["updatedAt"] = iso(self.updated_at)
            body["updatedAtHeight"] = str(self.updated_height)
        return body
