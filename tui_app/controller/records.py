"""Small pure helpers between store records, indexer orders and the chain's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tui_app.chain.orders import ORDER_FLAGS_LONG_TERM, ORDER_FLAGS_SHORT_TERM, OrderKey
from tui_app.chain.quantize import QuantizeError, price_to_subticks, size_to_quantums
from tui_app.controller.errors import InvalidMetadata
from tui_app.controller.markets import MarketInfo
from tui_app.controller.settings import ControllerSettings
from tui_app.ids import order_uuid
from tui_app.models import IndexerOrder
from tui_app.store import OrderRecord, OrderStatus

if TYPE_CHECKING:  # the gateway loads dydx_v4_client and grpc; annotations only
    from tui_app.chain.gateway import BlockInfo

_OPEN = {"OPEN", "BEST_EFFORT_OPENED", "UNTRIGGERED"}


def indexer_status_to_store(order: IndexerOrder) -> OrderStatus:
    """The store status that an indexer order's status means."""
    status = (order.status or "").upper()
    if status in _OPEN:
        return OrderStatus.ACTIVE
    if status == "FILLED":
        return OrderStatus.FILLED
    if status == "BEST_EFFORT_CANCELED":
        return OrderStatus.BEST_EFFORT_CANCELLED
    if status == "CANCELED":
        reason = (order.removal_reason or "").upper()
        return OrderStatus.EXPIRED if "EXPIRED" in reason else OrderStatus.CANCELLED
    if status == "ERROR":
        return OrderStatus.REJECTED
    return OrderStatus.UNKNOWN


def is_expired(record: OrderRecord, block: BlockInfo) -> bool:
    """Past its good-til: a short-term order lives while GTB >= next height (GTB > latest);
    a stateful one while its GTBT is after the latest block time."""
    if record.is_short_term:
        return record.good_til_block is not None and record.good_til_block <= block.height
    gtbt = record.good_til_block_time
    return gtbt is not None and gtbt <= int(block.time.timestamp())


def expiry_detail(record: OrderRecord, block: BlockInfo) -> str:
    if record.is_short_term:
        return f"good til block {record.good_til_block}, the chain is at {block.height}"
    until = datetime.fromtimestamp(record.good_til_block_time or 0, UTC)
    return f"good til {until:%Y-%m-%d %H:%M:%S} UTC, the chain is at {block.time:%H:%M:%S}"


def record_from_indexer(
    seen: IndexerOrder, market: MarketInfo, settings: ControllerSettings, *, placed_at: datetime
) -> OrderRecord:
    """A store row for an order placed elsewhere, from the indexer's own fields."""

    def need(value, name: str):
        if value is None:
            raise InvalidMetadata(seen.id, f"the indexer gave no {name}")
        return value

    client_id = int(need(seen.client_id, "clientId"))
    flags = int(need(seen.order_flags, "orderFlags"))
    if flags not in (ORDER_FLAGS_SHORT_TERM, ORDER_FLAGS_LONG_TERM):
        raise InvalidMetadata(seen.id, f"order flags {flags}: only short/long-term are handled")
    owner, number = settings.owner, settings.subaccount_number
    key = OrderKey(owner, number, client_id, market.clob_pair_id, flags)
    order_id = order_uuid(owner, number, client_id, market.clob_pair_id, flags)
    if order_id != seen.id:
        raise InvalidMetadata(seen.id, "its fields do not give back its id (another subaccount?)")
    size, price = need(seen.size, "size"), need(seen.price, "price")
    try:
        quantums = size_to_quantums(size, market.spec)
        subticks = price_to_subticks(price, market.spec)
    except QuantizeError as exc:
        raise InvalidMetadata(seen.id, str(exc)) from None
    gtb = gtbt = None
    if flags == ORDER_FLAGS_SHORT_TERM:
        gtb = int(need(seen.good_til_block, "goodTilBlock"))
    else:
        gtbt = int(need(seen.good_til_block_time, "goodTilBlockTime").timestamp())
    tif = (seen.time_in_force or "GTT").upper()
    return OrderRecord(
        order_id=order_id,
        owner=owner,
        subaccount_number=number,
        client_id=client_id,
        order_flags=flags,
        clob_pair_id=market.clob_pair_id,
        order_id_proto=key.encode(),
        good_til_block=gtb,
        good_til_block_time=gtbt,
        symbol=market.ticker,
        side=need(seen.side, "side"),
        quantity=Decimal(size),
        quantums=quantums,
        price=Decimal(price),
        subticks=subticks,
        order_type=(seen.type or "LIMIT").upper(),
        time_in_force=tif if tif in ("GTT", "IOC", "POST_ONLY") else "GTT",
        reduce_only=bool(seen.reduce_only),
        post_only=bool(seen.post_only),
        client_metadata=int(seen.client_metadata or 0),
        placed_at=seen.updated_at or placed_at,
        status=indexer_status_to_store(seen),
    )
