"""Build the chain's order messages (v4_proto) from our own domain values.

Only structure is checked here (flags against good-til, uint ranges, batch limits): what a
message must look like to mean what we want. Trading rules that depend on the market or
the account (sizes, collateral, FOK refusal with a reason for the trader) belong to the
controller's validation before it gets here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from v4_proto.dydxprotocol.clob.order_pb2 import Order, OrderId
from v4_proto.dydxprotocol.clob.tx_pb2 import (
    MsgBatchCancel,
    MsgCancelOrder,
    MsgPlaceOrder,
    OrderBatch,
)
from v4_proto.dydxprotocol.subaccounts.subaccount_pb2 import SubaccountId

# OrderId.order_flags (x/clob/types/order_id.go).
ORDER_FLAGS_SHORT_TERM = 0
ORDER_FLAGS_CONDITIONAL = 32
ORDER_FLAGS_LONG_TERM = 64
ORDER_FLAGS_TWAP = 128
STATEFUL_ORDER_FLAGS = frozenset({ORDER_FLAGS_CONDITIONAL, ORDER_FLAGS_LONG_TERM, ORDER_FLAGS_TWAP})

# MsgBatchCancel: at most this many client ids in one message (MaxMsgBatchCancelBatchSize).
MAX_BATCH_CANCEL_IDS = 100
MAX_UINT32 = 2**32 - 1
MAX_UINT64 = 2**64 - 1


class OrderMessageError(ValueError):
    """A message that would not mean what the caller intends; says which field and why."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"{field}: {reason}")


class Side(IntEnum):
    BUY = Order.Side.SIDE_BUY
    SELL = Order.Side.SIDE_SELL


class TimeInForce(StrEnum):
    """The chain's time in force. FOK is deprecated on the chain and deliberately absent."""

    GTT = "GTT"  # TIME_IN_FORCE_UNSPECIFIED: rests until good-til
    IOC = "IOC"
    POST_ONLY = "POST_ONLY"

    @property
    def proto(self) -> int:
        return _TIF_PROTO[self]


_TIF_PROTO = {
    TimeInForce.GTT: Order.TimeInForce.TIME_IN_FORCE_UNSPECIFIED,
    TimeInForce.IOC: Order.TimeInForce.TIME_IN_FORCE_IOC,
    TimeInForce.POST_ONLY: Order.TimeInForce.TIME_IN_FORCE_POST_ONLY,
}


@dataclass(frozen=True)
class OrderKey:
    """The chain's OrderId: what identifies an order, and all a cancel needs besides good-til."""

    owner: str
    subaccount_number: int
    client_id: int
    clob_pair_id: int
    order_flags: int

    def __post_init__(self) -> None:
        if not self.owner:
            raise OrderMessageError("owner", "is empty")
        for name in ("subaccount_number", "client_id", "clob_pair_id", "order_flags"):
            _check_uint(name, getattr(self, name), MAX_UINT32)

    @property
    def is_short_term(self) -> bool:
        return self.order_flags == ORDER_FLAGS_SHORT_TERM

    def proto(self) -> OrderId:
        return OrderId(
            subaccount_id=SubaccountId(owner=self.owner, number=self.subaccount_number),
            client_id=self.client_id,
            order_flags=self.order_flags,
            clob_pair_id=self.clob_pair_id,
        )

    def encode(self) -> bytes:
        """The protobuf bytes of the OrderId, as the store keeps them."""
        return self.proto().SerializeToString(deterministic=True)

    @classmethod
    def decode(cls, data: bytes) -> OrderKey:
        return cls.from_proto(OrderId.FromString(data))

    @classmethod
    def from_proto(cls, order_id: OrderId) -> OrderKey:
        return cls(
            owner=order_id.subaccount_id.owner,
            subaccount_number=order_id.subaccount_id.number,
            client_id=order_id.client_id,
            clob_pair_id=order_id.clob_pair_id,
            order_flags=order_id.order_flags,
        )


@dataclass(frozen=True)
class OrderSpec:
    """A fully quantized order, ready to become a `MsgPlaceOrder`."""

    key: OrderKey
    side: Side
    quantums: int
    subticks: int
    time_in_force: TimeInForce = TimeInForce.GTT
    reduce_only: bool = False
    good_til_block: int | None = None  # short-term
    good_til_block_time: int | None = None  # stateful: unix seconds
    client_metadata: int = 0


def build_order(spec: OrderSpec) -> Order:
    key = spec.key
    if key.order_flags not in (ORDER_FLAGS_SHORT_TERM, ORDER_FLAGS_LONG_TERM):
        # Conditional and TWAP orders need fields this app does not build.
        raise OrderMessageError("order_flags", f"{key.order_flags} is not short- or long-term")
    _check_good_til(key, spec.good_til_block, spec.good_til_block_time)
    if not key.is_short_term and spec.time_in_force is TimeInForce.IOC:
        raise OrderMessageError("time_in_force", "a long-term order cannot be IOC")
    _check_uint("quantums", spec.quantums, MAX_UINT64, minimum=1)
    _check_uint("subticks", spec.subticks, MAX_UINT64, minimum=1)
    _check_uint("client_metadata", spec.client_metadata, MAX_UINT32)
    order = Order(
        order_id=key.proto(),
        side=Side(spec.side).value,
        quantums=spec.quantums,
        subticks=spec.subticks,
        time_in_force=TimeInForce(spec.time_in_force).proto,
        reduce_only=spec.reduce_only,
        client_metadata=spec.client_metadata,
    )
    # A oneof: set exactly one of the two (setting 0 would still select the field).
    if key.is_short_term:
        order.good_til_block = spec.good_til_block  # type: ignore[assignment]
    else:
        order.good_til_block_time = spec.good_til_block_time  # type: ignore[assignment]
    return order


def build_place_order(spec: OrderSpec) -> MsgPlaceOrder:
    return MsgPlaceOrder(order=build_order(spec))


def build_cancel_order(
    key: OrderKey, *, good_til_block: int | None = None, good_til_block_time: int | None = None
) -> MsgCancelOrder:
    """A cancel: short-term with a good_til_block, stateful with a good_til_block_time."""
    _check_good_til(key, good_til_block, good_til_block_time)
    msg = MsgCancelOrder(order_id=key.proto())
    if key.is_short_term:
        msg.good_til_block = good_til_block  # type: ignore[assignment]
    else:
        msg.good_til_block_time = good_til_block_time  # type: ignore[assignment]
    return msg


def build_batch_cancel(
    owner: str,
    subaccount_number: int,
    client_ids_by_clob_pair: Mapping[int, Sequence[int]],
    good_til_block: int,
) -> MsgBatchCancel:
    """One MsgBatchCancel of short-term orders: one subaccount, each clob pair once, <= 100 ids."""
    if not client_ids_by_clob_pair:
        raise OrderMessageError("short_term_cancels", "no orders to cancel")
    total = 0
    batches = []
    for clob_pair_id, client_ids in client_ids_by_clob_pair.items():
        _check_uint("clob_pair_id", clob_pair_id, MAX_UINT32)
        ids = list(client_ids)
        if not ids:
            raise OrderMessageError("client_ids", f"empty list for clob pair {clob_pair_id}")
        if len(set(ids)) != len(ids):
            raise OrderMessageError("client_ids", f"duplicates for clob pair {clob_pair_id}")
        for client_id in ids:
            _check_uint("client_id", client_id, MAX_UINT32)
        total += len(ids)
        batches.append(OrderBatch(clob_pair_id=clob_pair_id, client_ids=ids))
    if total > MAX_BATCH_CANCEL_IDS:
        raise OrderMessageError(
            "short_term_cancels", f"{total} ids; the chain takes at most {MAX_BATCH_CANCEL_IDS}"
        )
    _check_uint("good_til_block", good_til_block, MAX_UINT32, minimum=1)
    _check_uint("subaccount_number", subaccount_number, MAX_UINT32)
    return MsgBatchCancel(
        subaccount_id=SubaccountId(owner=owner, number=subaccount_number),
        short_term_cancels=batches,
        good_til_block=good_til_block,
    )


def is_short_term_message(msg: object) -> bool:
    """Messages that skip the sequence check and must travel alone in their tx."""
    if isinstance(msg, MsgBatchCancel):
        return True
    if isinstance(msg, MsgPlaceOrder):
        return msg.order.order_id.order_flags == ORDER_FLAGS_SHORT_TERM
    if isinstance(msg, MsgCancelOrder):
        return msg.order_id.order_flags == ORDER_FLAGS_SHORT_TERM
    return False


def _check_good_til(key: OrderKey, gtb: int | None, gtbt: int | None) -> None:
    if key.is_short_term:
        if gtbt is not None:
            raise OrderMessageError("good_til_block_time", "a short-term order uses good_til_block")
        _check_uint("good_til_block", gtb, MAX_UINT32, minimum=1)
    else:
        if gtb is not None:
            raise OrderMessageError("good_til_block", "a stateful order uses good_til_block_time")
        _check_uint("good_til_block_time", gtbt, MAX_UINT32, minimum=1)


def _check_uint(name: str, value: object, maximum: int, minimum: int = 0) -> None:
    if value is None:
        raise OrderMessageError(name, "is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderMessageError(name, f"must be an integer, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise OrderMessageError(name, f"{value} is outside {minimum}..{maximum}")
