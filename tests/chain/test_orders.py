"""Order, cancel and batch-cancel messages built from domain values."""

from __future__ import annotations

import pytest
from v4_proto.dydxprotocol.clob.order_pb2 import Order
from v4_proto.dydxprotocol.clob.tx_pb2 import MsgCancelOrder, MsgPlaceOrder

from tui_app.chain.orders import (
    ORDER_FLAGS_LONG_TERM,
    ORDER_FLAGS_SHORT_TERM,
    OrderKey,
    OrderMessageError,
    OrderSpec,
    Side,
    TimeInForce,
    build_batch_cancel,
    build_cancel_order,
    build_order,
    build_place_order,
    is_short_term_message,
)

ALICE = "dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4"
SHORT = OrderKey(ALICE, 0, 42, 1, ORDER_FLAGS_SHORT_TERM)
LONG = OrderKey(ALICE, 0, 43, 1, ORDER_FLAGS_LONG_TERM)


def test_short_term_ioc_reduce_only_order():
    spec = OrderSpec(
        SHORT, Side.SELL, 1_001_000_000, 2_048_200_000, TimeInForce.IOC, True,
        good_til_block=120, client_metadata=7,
    )  # fmt: skip
    order = build_order(spec)
    assert order.WhichOneof("good_til_oneof") == "good_til_block"
    assert order.good_til_block == 120
    assert order.side == Order.Side.SIDE_SELL
    assert order.time_in_force == Order.TimeInForce.TIME_IN_FORCE_IOC
    assert order.reduce_only and order.client_metadata == 7
    assert (order.quantums, order.subticks) == (1_001_000_000, 2_048_200_000)
    assert OrderKey.from_proto(order.order_id) == SHORT
    assert is_short_term_message(build_place_order(spec))


def test_long_term_post_only_order():
    spec = OrderSpec(
        LONG, Side.BUY, 10**6, 10**5, TimeInForce.POST_ONLY, good_til_block_time=1_800_000_000
    )
    msg = build_place_order(spec)
    assert isinstance(msg, MsgPlaceOrder)
    assert msg.order.WhichOneof("good_til_oneof") == "good_til_block_time"
    assert msg.order.good_til_block_time == 1_800_000_000
    assert msg.order.order_id.order_flags == 64
    assert msg.order.time_in_force == Order.TimeInForce.TIME_IN_FORCE_POST_ONLY
    assert not is_short_term_message(msg)


@pytest.mark.parametrize(
    "spec, field",
    [
        (OrderSpec(SHORT, Side.BUY, 1, 1), "good_til_block"),
        (OrderSpec(SHORT, Side.BUY, 1, 1, good_til_block=5, good_til_block_time=9), "good_til_block_time"),
        (OrderSpec(LONG, Side.BUY, 1, 1, good_til_block=5), "good_til_block"),
        (OrderSpec(LONG, Side.BUY, 1, 1, TimeInForce.IOC, good_til_block_time=9), "time_in_force"),
        (OrderSpec(SHORT, Side.BUY, 0, 1, good_til_block=5), "quantums"),
        (OrderSpec(SHORT, Side.BUY, 1, 2**64, good_til_block=5), "subticks"),
        (OrderSpec(OrderKey(ALICE, 0, 1, 1, 32), Side.BUY, 1, 1, good_til_block_time=9), "order_flags"),
    ],
)  # fmt: skip
def test_incoherent_orders_are_refused_naming_the_field(spec, field):
    with pytest.raises(OrderMessageError) as info:
        build_order(spec)
    assert info.value.field == field


def test_order_key_checks_and_encodes():
    with pytest.raises(OrderMessageError, match="client_id"):
        OrderKey(ALICE, 0, 2**32, 1, 0)
    with pytest.raises(OrderMessageError, match="owner"):
        OrderKey("", 0, 1, 1, 0)
    data = LONG.encode()
    assert OrderKey.decode(data) == LONG
    assert data == LONG.encode()  # deterministic


def test_cancels():
    short = build_cancel_order(SHORT, good_til_block=130)
    assert isinstance(short, MsgCancelOrder)
    assert short.WhichOneof("good_til_oneof") == "good_til_block" and short.good_til_block == 130
    assert is_short_term_message(short)
    long = build_cancel_order(LONG, good_til_block_time=1_800_000_000)
    assert long.WhichOneof("good_til_oneof") == "good_til_block_time"
    assert not is_short_term_message(long)
    with pytest.raises(OrderMessageError, match="good_til_block_time"):
        build_cancel_order(LONG, good_til_block=130)
    with pytest.raises(OrderMessageError, match="good_til_block"):
        build_cancel_order(SHORT)


def test_batch_cancel():
    msg = build_batch_cancel(ALICE, 0, {0: [1, 2], 1: [3]}, 150)
    assert msg.subaccount_id.owner == ALICE and msg.good_til_block == 150
    assert [(b.clob_pair_id, list(b.client_ids)) for b in msg.short_term_cancels] == [
        (0, [1, 2]),
        (1, [3]),
    ]
    assert is_short_term_message(msg)
    assert len(build_batch_cancel(ALICE, 0, {0: range(100)}, 1).short_term_cancels[0].client_ids) == 100


@pytest.mark.parametrize(
    "batches, match",
    [({}, "no orders"), ({0: []}, "empty"), ({0: [1, 1]}, "duplicates"), ({0: range(101)}, "at most 100")],
)  # fmt: skip
def test_batch_cancel_limits(batches, match):
    with pytest.raises(OrderMessageError, match=match):
        build_batch_cancel(ALICE, 0, batches, 150)
